"""The ``digest`` command: one module per group of commands; report and roster print their output.

Thin over :mod:`digest.pipeline`; it may import anything below it (:mod:`digest.web` for ``serve``).
"""
