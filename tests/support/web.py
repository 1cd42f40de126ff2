"""The web app served for real in tests: uvicorn on a loopback port, and the form's CSRF value."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx
import uvicorn

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


class LiveServer:
    """uvicorn serving an app on a free loopback port, in a thread."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            loop="asyncio",
            http="h11",
            ws="none",
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF value of the form on *page*."""
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)
