"""Gathering: fetching sources over HTTP with limits, parsing feeds, pages and folders,
extracting article text and normalising it into :class:`digest.records.ArticleData`.

The network I/O of the pipeline.  May import ``digest.store``, ``digest.config``,
``digest.records``, ``digest.text`` and ``digest.errors``; never ``content`` or ``mail``.
A new source kind goes here (a module beside ``feeds``/``pages``/``folder``, wired in
``sources.Gatherer``).
"""
