"""The application's database: :class:`Store` opens it, migrates it, and answers the queries.

The queries live with the table they concern (``sources``, ``articles``,
``editions``); ``Store`` composes them over one engine.  Async code (gathering)
calls them through :meth:`Store.call`, which runs them on the store's own
worker thread, so the event loop never waits on the database and SQLite sees
one writer at a time.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from digest.errors import StorageError
from digest.store.articles import ArticleQueries
from digest.store.editions import EditionQueries
from digest.store.engine import create_db_engine, display_url, migrate
from digest.store.sources import FetchRecord, SourceQueries

__all__ = ["FetchRecord", "Store"]

P = ParamSpec("P")
T = TypeVar("T")


class Store(SourceQueries, ArticleQueries, EditionQueries):
    """The application's database."""

    def __init__(self, url: str, *, apply_migrations: bool = True) -> None:
        self.url = url
        self.migrated = False
        try:
            self.engine = create_db_engine(url)
            if apply_migrations:
                self.migrated = migrate(self.engine)
        except (SQLAlchemyError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageError(
                f"{display_url(url)}: cannot open the database: {reason} "
                "(is the server running and the URL in [storage] url right? try `digest check`)"
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._worker: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def call(self, query: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``query(*args, **kwargs)`` (a store method) on the store's worker thread."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(query, *args, **kwargs))
