"""Abstractive summaries from a chat model, with the exchange itself left to a :class:`Chat`.

:class:`ChatSummariser` sends one article per request through a :class:`Chat`
(an async callable taking the messages and a token cap and returning the
answer's text; :mod:`digest.pipeline.chat` provides the OpenAI-compatible
HTTP one) and turns the answer into a list of sentences within the budget.

Every failure (timeout, connection, HTTP status, a malformed or empty answer, a
refusal) becomes an :class:`LLMError` whose one-line message names the
endpoint's host and the cause, and never contains the API key.
:func:`summarise_many` runs a batch with bounded concurrency, an in-memory
cache, a per-job fallback, and a circuit breaker so that a dead endpoint costs a
few failed requests rather than one per article.  The prompt and the cleaning
of the answer are :mod:`digest.content.llm_text`'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from digest.content.llm_text import (
    build_messages,
    clean_answer,
    is_refusal,
    max_tokens_for,
    trim_words,
)
from digest.errors import DigestError, one_line, redact, url_host

__all__ = [
    "BREAKER_THRESHOLD",
    "Chat",
    "ChatAnswer",
    "ChatSummariser",
    "LLMError",
    "LLMJob",
    "LLMResult",
    "LLMSettings",
    "summarise_many",
]

log = logging.getLogger(__name__)

BREAKER_THRESHOLD = 3  # consecutive failures after which a batch stops calling the endpoint


@dataclass(frozen=True, slots=True)
class LLMSettings:
    base_url: str  # e.g. "http://localhost:11434/v1"; a trailing slash is ignored
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 30.0
    concurrency: int = 2
    max_input_words: int = 1500  # article text is cut to this many words before sending

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"LLM timeout must be positive, not {self.timeout!r}")
        if self.concurrency < 1:
            raise ValueError(f"LLM concurrency must be at least 1, not {self.concurrency!r}")
        if self.max_input_words < 1:
            raise ValueError(
                f"LLM max_input_words must be at least 1, not {self.max_input_words!r}"
            )

    @property
    def host(self) -> str:
        """The endpoint's host (and port), as error messages name it."""
        return url_host(self.base_url.rstrip("/"))


class LLMError(DigestError, RuntimeError):
    """The endpoint gave no usable summary; the message is one line naming its host."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    text: str  # the model's answer, as it sent it
    finish_reason: str = ""  # "length" when the answer was cut off by max_tokens


class Chat(Protocol):
    """One exchange with a chat model: the answer to *messages*, at most *max_tokens* long.

    Raises :class:`LLMError` (one line, naming the endpoint's host and the cause,
    never the API key) when no answer comes: a timeout, a connection failure, an
    error status, an answer in the wrong shape.
    """

    async def __call__(
        self, messages: Sequence[Mapping[str, str]], *, max_tokens: int
    ) -> ChatAnswer: ...


@dataclass(frozen=True, slots=True)
class LLMJob:
    key: str  # cache key: e.g. the article's content hash
    title: str
    text: str
    sentences: int
    max_words: int


@dataclass(frozen=True, slots=True)
class LLMResult:
    key: str
    sentences: tuple[str, ...]
    method: str  # "llm", or "extractive" when the fallback was used
    error: str | None  # why the fallback was used


class ChatSummariser:
    """Summaries of single articles through one :class:`Chat`.

    At most ``settings.concurrency`` requests are in flight at once. Results of
    :func:`summarise_many` are cached on the instance.
    """

    def __init__(self, settings: LLMSettings, chat: Chat) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.host = settings.host
        self._chat = chat
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._cache: dict[tuple[str, int, int], tuple[str, ...]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, model={self.settings.model!r})"

    def clear_cache(self) -> None:
        self._cache.clear()

    async def summarise(
        self, *, title: str, text: str, sentences: int, max_words: int
    ) -> list[str]:
        """Sentences of an abstractive summary of one article.

        Raises :class:`LLMError` (one line, naming the endpoint's host and the
        cause) on a timeout, a connection failure, an HTTP error status, an
        answer that is not chat-completions JSON, or an empty or refusing answer.
        """
        async with self._slots:
            return await self._summarise(
                title=title, text=text, sentences=sentences, max_words=max_words
            )

    async def _summarise(
        self, *, title: str, text: str, sentences: int, max_words: int
    ) -> list[str]:
        article = trim_words(text, self.settings.max_input_words)
        if not article:
            raise LLMError(f"nothing to send to the LLM endpoint {self.host}: the article is empty")
        messages = build_messages(
            title=title, text=article, sentences=sentences, max_words=max_words
        )
        answer = await self._chat(messages, max_tokens=max_tokens_for(max_words))
        content, finish = answer.text, answer.finish_reason
        result = clean_answer(
            content,
            sentences=sentences,
            max_words=max_words,
            title=title,
            truncated=finish == "length",
        )
        if not result:
            if finish == "length" and content.strip():
                raise LLMError(
                    f"the answer of the LLM endpoint {self.host} was cut off by max_tokens "
                    "before a whole sentence"
                )
            raise LLMError(f"the LLM endpoint {self.host} gave an empty answer")
        if is_refusal(result[0]):
            raise LLMError(
                f"the LLM endpoint {self.host} refused to summarise: "
                f"{redact(one_line(result[0], 80), self.settings.api_key)}"
            )
        return result


# -- batches -----------------------------------------------------------------------------


class _Breaker:
    """Stops a batch calling an endpoint after *threshold* consecutive failures.

    After a failure, requests go one at a time until one succeeds, so a dead
    endpoint sees at most ``max(threshold, concurrency)`` requests.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.failures = 0
        self.in_flight = 0
        self.last_error = ""
        self._changed = asyncio.Event()

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold

    async def enter(self) -> bool:
        """Wait for a turn to call the endpoint; False once the breaker is open."""
        while not self.is_open and self.failures and self.in_flight:
            await self._changed.wait()
        if self.is_open:
            return False
        self.in_flight += 1
        return True

    def leave(self, *, ok: bool | None, error: str = "") -> None:
        """Record a call's outcome: success, failure, or None when it was cancelled."""
        self.in_flight -= 1
        if ok:
            self.failures = 0
        elif ok is not None:
            was_open = self.is_open
            self.failures += 1
            self.last_error = error
            if self.is_open and not was_open:
                log.warning(
                    "LLM endpoint failed %d times in a row; using the fallback for the rest "
                    "of this batch (last error: %s)",
                    self.failures,
                    error,
                )
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


async def summarise_many(
    summariser: ChatSummariser,
    items: Sequence[LLMJob],
    *,
    fallback: Callable[[LLMJob], list[str]],
    breaker_after: int = BREAKER_THRESHOLD,
) -> list[LLMResult]:
    """Summarise *items* through *summariser*, one result per item in the same order.

    At most ``settings.concurrency`` requests are in flight. A job whose request
    fails gets ``fallback(job)`` (run in a worker thread) with method
    ``"extractive"`` and the error's message; after *breaker_after* consecutive
    failures the remaining jobs fall back without calling the endpoint. LLM
    summaries are cached on *summariser* by key (and budget): a job whose key was
    summarised before, or repeats within the batch, does not call the endpoint again.
    """
    breaker = _Breaker(max(1, breaker_after))
    cache = summariser._cache

    async def run(job: LLMJob) -> LLMResult:
        ck = (job.key, job.sentences, job.max_words)
        if ck in cache:
            return LLMResult(job.key, cache[ck], "llm", None)
        if job.text.strip():
            async with summariser._slots:
                error = await attempt(job, ck)
        else:
            error = "the article has no text to send to the LLM"
        if error is None:
            return LLMResult(job.key, cache[ck], "llm", None)
        fallen = await asyncio.to_thread(fallback, job)
        return LLMResult(job.key, tuple(fallen), "extractive", error)

    async def attempt(job: LLMJob, ck: tuple[str, int, int]) -> str | None:
        """Call the endpoint for *job* unless the breaker is open; the error, or None."""
        if ck in cache:  # an equal job of a concurrent batch finished meanwhile
            return None
        if not await breaker.enter():
            return (
                f"skipped: the LLM endpoint {summariser.host} failed "
                f"{breaker.failures} times in a row (last: {breaker.last_error})"
            )
        ok: bool | None = None
        error = ""
        try:
            sentences = await summariser._summarise(
                title=job.title, text=job.text, sentences=job.sentences, max_words=job.max_words
            )
        except LLMError as exc:
            ok, error = False, str(exc)
            log.info("LLM summary of %s fell back: %s", job.key, error)
            return error
        else:
            ok = True
            cache[ck] = tuple(sentences)
            return None
        finally:
            breaker.leave(ok=ok, error=error)

    unique: dict[tuple[str, int, int], LLMJob] = {}
    for job in items:
        unique.setdefault((job.key, job.sentences, job.max_words), job)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = {ck: group.create_task(run(job)) for ck, job in unique.items()}
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [tasks[(job.key, job.sentences, job.max_words)].result() for job in items]
