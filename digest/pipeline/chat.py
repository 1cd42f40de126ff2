"""The HTTP side of LLM summaries: one OpenAI-compatible chat-completions POST.

Ollama, vLLM, the llama.cpp server and hosted APIs all accept
``POST {base_url}/chat/completions``.  :class:`ChatCompletions` is the
:class:`digest.content.llm.Chat` that sends it with httpx, and turns a timeout,
a connection failure, an HTTP error status or an answer in the wrong shape into
an :class:`LLMError` whose one-line message names the endpoint's host and the
cause, never the API key.  :class:`LLMSummariser` is the content stage's
:class:`ChatSummariser` wired to it, owning its HTTP client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from digest import __version__
from digest.closing import AsyncClosing
from digest.content.llm import ChatAnswer, ChatSummariser, LLMError, LLMSettings
from digest.errors import connect_failure, one_line, redact

__all__ = ["MAX_ANSWER_BYTES", "TEMPERATURE", "ChatCompletions", "LLMSummariser"]

MAX_ANSWER_BYTES = 2 * 1024 * 1024
TEMPERATURE = 0.2

_HINTS = {
    401: " (check DIGEST_LLM_API_KEY)",
    403: " (check DIGEST_LLM_API_KEY)",
    404: " (check [summary.llm] base_url and model)",
}
_CONNECT_FAILURES = {
    "refused": "connection refused (is the server up?)",
    "dns": "cannot resolve the host name",
    "unreachable": "network unreachable",
}


class ChatCompletions:
    """POSTs to ``{base_url}/chat/completions``, one request per call.

    Uses *client* when given (its owner closes it), else an httpx client of its
    own with at most ``settings.concurrency`` connections, closed by :meth:`aclose`.
    """

    def __init__(self, settings: LLMSettings, *, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.endpoint = settings.base_url.rstrip("/") + "/chat/completions"
        self.host = settings.host
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout),
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __call__(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> ChatAnswer:
        payload = {
            "model": self.settings.model,
            "messages": [dict(message) for message in messages],
            "temperature": TEMPERATURE,
            "max_tokens": max_tokens,
        }
        timeout = self.settings.timeout
        try:
            async with asyncio.timeout(timeout):
                status, reason, body = await self._exchange(payload)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise LLMError(
                f"no answer from the LLM endpoint {self.host} within {timeout:g} s (timeout; "
                "a slow model may need a larger [summary.llm] timeout)"
            ) from exc
        except (httpx.HTTPError, OSError) as exc:
            raise LLMError(
                f"cannot reach the LLM endpoint {self.host}: {_connect_reason(exc)}"
            ) from exc
        return self._answer(status, reason, body)

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "User-Agent": f"digest/{__version__}",
        }
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return headers

    async def _exchange(self, payload: dict[str, Any]) -> tuple[int, str, bytes]:
        async with self._client.stream(
            "POST", self.endpoint, json=payload, headers=self._headers()
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise LLMError(
                        f"the answer of the LLM endpoint {self.host} is larger than "
                        f"{MAX_ANSWER_BYTES:,} bytes"
                    )
                chunks.append(chunk)
            return response.status_code, response.reason_phrase, b"".join(chunks)

    def _answer(self, status: int, reason: str, body: bytes) -> ChatAnswer:
        """The answer in a response, or the LLMError its status or shape calls for."""
        if status >= 400 or status < 200:
            detail = self._detail(body)
            raise LLMError(
                f"the LLM endpoint {self.host} answered HTTP {status} {reason}".rstrip()
                + (f": {detail}" if detail else "")
                + _HINTS.get(status, ""),
                status=status,
            )
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise LLMError(f"the LLM endpoint {self.host} answered with invalid JSON") from exc
        try:
            content, finish = _content(data)
        except ValueError as exc:
            detail = self._detail(body)
            raise LLMError(
                f"the LLM endpoint {self.host} answered without choices[0].message.content"
                + (f": {detail}" if detail else "")
            ) from exc
        return ChatAnswer(content, finish)

    def _detail(self, body: bytes) -> str:
        """The short readable message of an error body, without the API key."""
        return redact(_error_detail(body), self.settings.api_key)


def _connect_reason(exc: BaseException) -> str:
    failure = connect_failure(exc)
    if failure is None:
        return one_line(str(exc) or type(exc).__name__, 120)
    return _CONNECT_FAILURES[failure]


def _error_detail(body: bytes) -> str:
    """The message of an error body, if it has a short readable one."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body[:400].decode("utf-8", "replace")
        return one_line(text) if "<" not in text else ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    if not isinstance(error, str) and isinstance(data, dict):
        error = data.get("message") or data.get("detail")
    return one_line(error) if isinstance(error, str) else ""


def _content(data: Any) -> tuple[str, str]:
    """``choices[0].message.content`` and ``finish_reason`` of a chat-completions answer."""
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("no choices")
    choice = choices[0]
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is None and isinstance(choice.get("text"), str):  # a completions-style answer
        content = choice["text"]
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        content = "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ValueError("content is not text")
    reason = choice.get("finish_reason")
    return content, reason if isinstance(reason, str) else ""


class LLMSummariser(ChatSummariser, AsyncClosing):
    """A :class:`ChatSummariser` over HTTP: use as ``async with LLMSummariser(settings)``.

    It owns the HTTP client (unless *client* is given) and closes it on exit.
    """

    def __init__(self, settings: LLMSettings, *, client: httpx.AsyncClient | None = None) -> None:
        self.chat = ChatCompletions(settings, client=client)
        super().__init__(settings, self.chat)
        self.endpoint = self.chat.endpoint

    async def aclose(self) -> None:
        await self.chat.aclose()
