"""``async with`` for the objects that hold a connection: enter returns the object,
leaving (also on an error) awaits its ``aclose()``.

The HTTP fetcher, the chat client and the mailer share it; it imports nothing.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncClosing:
    """Mix in for a class with ``async def aclose(self) -> None``."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
