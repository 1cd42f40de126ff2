"""The use cases every face (CLI, web, and later the scheduler) calls.

Refreshing articles (gather, summarise, regroup), building one recipient's digest
(compose, render, message) for preview and sending, the archive's editions, the
audience glue, ``digest check`` and ``digest init``.  May import the stages
(``gather``, ``content``, ``mail``), ``store``, ``config`` and ``subscribers``;
never ``cli`` or ``web``.
"""
