"""Text hygiene the stages share: sanitising HTML and lines, recognising boilerplate.

Plain string work used by ``gather`` (extraction, feeds), ``content``
(summaries) and ``mail`` (rendering).  Imports nothing of digest.
"""
