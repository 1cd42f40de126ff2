"""A real local HTTP server speaking the OpenAI chat-completions API.

``POST /v1/chat/completions`` answers in the OpenAI response shape. A test
programs what it answers (:class:`Reply`): a canned text, a text built from the
request, a delay, an HTTP error status, a raw (e.g. invalid JSON) body. Replies
queued with :meth:`LocalLLMServer.then` are used one per request, in order,
before the default. Every request's JSON body and headers are recorded, and
the server counts how many requests it was answering at once.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from itertools import count
from types import TracebackType
from typing import Any

from tests.support.httpd import QuietHTTPServer

Body = dict[str, Any]
PATH = "/v1/chat/completions"


@dataclass
class Reply:
    content: str | Callable[[Body], str] = "A summary."
    status: int = 200
    delay: float = 0.0  # seconds before answering
    raw: bytes | None = None  # sent verbatim instead of a chat completion
    finish_reason: str = "stop"
    error: str = "the server failed"  # the message of an error status's JSON body


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]  # lower-case names
    body: Body | None  # None when the body was not JSON

    @property
    def messages(self) -> list[dict[str, str]]:
        return list((self.body or {}).get("messages", []))

    def content_of(self, role: str) -> str:
        return next((m["content"] for m in self.messages if m.get("role") == role), "")


_ARTICLE = re.compile(r"<article>\s*(.*?)\s*</article>", re.S)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def article_of(body: Body) -> str:
    """The article text of a request: between <article> tags, else the whole user message."""
    user = next(
        (m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"), ""
    )
    found = _ARTICLE.search(user)
    return found.group(1) if found else user


def echo_sentences(n: int, *, prefix: str = "") -> Callable[[Body], str]:
    """A reply builder answering with *prefix* and the first *n* sentences of the article."""

    def build(body: Body) -> str:
        text = " ".join(article_of(body).split())
        return prefix + " ".join(_SENTENCE.split(text)[:n])

    return build


class _Server(QuietHTTPServer):
    request_queue_size = 128


class LocalLLMServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.default = Reply()
        self.queue: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests this server was answering at once
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = count(1)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out without a 40 ms stall

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                owner._serve(self)

            def do_GET(self) -> None:
                owner._serve(self)

        self._host = host
        self._server = _Server((host, 0), Handler)
        self._thread = threading.Thread(target=self._serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """``host:port``, as error messages name it."""
        return f"{self._host}:{self._server.server_port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}/v1"

    def _serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.01)  # so that stop() is quick

    def start(self) -> LocalLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends delays early
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- programming ----------------------------------------------------------------

    def reply(self, content: str | Callable[[Body], str] = "A summary.", **options: Any) -> Reply:
        """Answer every request (not taken by a queued reply) like this."""
        self.default = Reply(content=content, **options)
        return self.default

    def then(self, content: str | Callable[[Body], str] = "A summary.", **options: Any) -> Reply:
        """Answer the next unanswered request like this (queued replies go first, in order)."""
        queued = Reply(content=content, **options)
        with self._lock:
            self.queue.append(queued)
        return queued

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- serving --------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {key.lower(): value for key, value in handler.headers.items()}
        length = int(headers.get("content-length", "0") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Body | None = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Recorded(path=handler.path, headers=headers, body=body))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            reply = self.queue.popleft() if self.queue else self.default
        try:
            self._answer(handler, reply, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, reply: Reply, body: Body | None) -> None:
        if handler.command != "POST" or handler.path != PATH:
            self._send(handler, 404, {"error": {"message": f"no route {handler.path}"}})
            return
        if body is None:
            self._send(handler, 400, {"error": {"message": "the body is not JSON"}})
            return
        if reply.delay and self._stopping.wait(reply.delay):
            return
        if reply.raw is not None:
            self._send_bytes(handler, reply.status, reply.raw, "application/json")
            return
        if reply.status >= 400:
            error = {"message": reply.error, "type": "server_error", "code": reply.status}
            self._send(handler, reply.status, {"error": error})
            return
        content = reply.content(body) if callable(reply.content) else reply.content
        prompt_tokens = len(json.dumps(body.get("messages", [])).split())
        self._send(
            handler,
            reply.status,
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(content.split()),
                    "total_tokens": prompt_tokens + len(content.split()),
                },
            },
        )

    def _send(self, handler: BaseHTTPRequestHandler, status: int, data: Body) -> None:
        self._send_bytes(handler, status, json.dumps(data).encode("utf-8"), "application/json")

    @staticmethod
    def _send_bytes(
        handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str
    ) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
