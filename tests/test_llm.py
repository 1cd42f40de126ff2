"""The LLM summariser against a real local chat-completions server."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from digest.content.llm import LLMError, LLMJob, LLMResult, LLMSettings, summarise_many
from digest.content.llm_text import clean_answer, trim_words
from digest.content.sentences import split_sentences
from digest.errors import DigestError
from digest.pipeline.chat import LLMSummariser
from tests.support.llm_server import Body, LocalLLMServer, article_of, echo_sentences

SECRET = "sk-test-5ecret-DO-NOT-LEAK"
ARTICLE = (
    "The city council voted on Tuesday to open-source its permit software. "
    "Officials said the code would be published under the MIT licence. "
    "Other towns have already asked to reuse it. "
    "The first release is planned for the spring."
)


@pytest.fixture
def server() -> Iterator[LocalLLMServer]:
    with LocalLLMServer() as running:
        yield running


def settings_for(server: LocalLLMServer | str, **overrides: Any) -> LLMSettings:
    base_url = server.base_url if isinstance(server, LocalLLMServer) else server
    options: dict[str, Any] = {"model": "tiny-model", "timeout": 2.0, "concurrency": 2}
    options.update(overrides)
    return LLMSettings(base_url=base_url, **options)


def summarise_once(
    settings: LLMSettings,
    *,
    title: str = "Council open-sources permit software",
    text: str = ARTICLE,
    sentences: int = 3,
    max_words: int = 90,
) -> list[str]:
    async def go() -> list[str]:
        async with LLMSummariser(settings) as summariser:
            return await summariser.summarise(
                title=title, text=text, sentences=sentences, max_words=max_words
            )

    return asyncio.run(go())


def failure_of(settings: LLMSettings, **kwargs: Any) -> LLMError:
    with pytest.raises(LLMError) as caught:
        summarise_once(settings, **kwargs)
    return caught.value


def job(key: str, text: str = ARTICLE, *, sentences: int = 2, max_words: int = 60) -> LLMJob:
    return LLMJob(
        key=key, title=f"Title {key}", text=text, sentences=sentences, max_words=max_words
    )


def lead(item: LLMJob) -> list[str]:
    return [f"fallback {item.key}."]


def run_many(
    settings: LLMSettings, jobs: list[LLMJob], **kwargs: Any
) -> tuple[list[LLMResult], float]:
    async def go() -> list[LLMResult]:
        async with LLMSummariser(settings) as summariser:
            return await summarise_many(summariser, jobs, fallback=lead, **kwargs)

    started = time.monotonic()
    results = asyncio.run(go())
    return results, time.monotonic() - started


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# -- the request ---------------------------------------------------------------------


def test_request_shape_with_key(server: LocalLLMServer) -> None:
    server.reply("The council will publish its permit software.")
    settings = settings_for(server.base_url + "/", api_key=SECRET)
    assert summarise_once(settings, sentences=2, max_words=40) == [
        "The council will publish its permit software."
    ]
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.headers["content-type"] == "application/json"
    body = request.body
    assert body is not None
    assert body["model"] == "tiny-model"
    assert body["temperature"] == 0.2
    assert isinstance(body["max_tokens"], int) and body["max_tokens"] >= 40
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    system = request.content_of("system")
    assert "at most 2 sentences" in system and "40 words" in system
    assert "no preamble" in system.lower() and "bullet" in system
    user = request.content_of("user")
    assert "Council open-sources permit software" in user
    assert article_of(body) == ARTICLE


def test_no_authorization_header_without_key(server: LocalLLMServer) -> None:
    summarise_once(settings_for(server))
    [request] = server.requests
    assert "authorization" not in request.headers


def test_long_articles_are_cut_at_a_sentence_end(server: LocalLLMServer) -> None:
    sentence = "Each of these sentences has exactly nine words here. "
    text = sentence * 40  # 360 words
    summarise_once(settings_for(server, max_input_words=100), text=text)
    sent = article_of(server.requests[0].body or {})
    assert len(sent.split()) == 99  # 11 whole sentences, not 100 words
    assert sent.endswith("words here.")


def test_trim_words_prefers_paragraph_and_sentence_ends() -> None:
    assert trim_words("One two three.", 10) == "One two three."
    text = "First para has five words.\n\nSecond para is here and goes on and on"
    assert trim_words(text, 10) == "First para has five words."
    assert trim_words("alpha beta gamma delta epsilon", 3) == "alpha beta gamma"
    assert trim_words("A b. C d e f g h", 6) == "A b. C d e f"  # a cut so early loses too much


# -- the answer ----------------------------------------------------------------------

CLEANING = [
    (
        "Here is a summary of the article:\n\nThe council voted to publish its code. "
        "Other towns want it.",
        ["The council voted to publish its code.", "Other towns want it."],
    ),
    ("Summary: The council voted.", ["The council voted."]),
    ("**Summary:**\nThe council voted.", ["The council voted."]),
    ("Summary-level figures rose. Fine.", ["Summary-level figures rose.", "Fine."]),
    (
        "Sure! Here's a neutral summary in two sentences.\nThe council voted.",
        ["The council voted."],
    ),
    (
        "- **The council** voted to open-source its software\n- Other towns asked to reuse it",
        ["The council voted to open-source its software.", "Other towns asked to reuse it."],
    ),
    ('"The council voted to publish its code."', ["The council voted to publish its code."]),
    ("“The council voted.”", ["The council voted."]),
    (
        '"The code is free," the mayor said. "Use it."',
        ['"The code is free," the mayor said.', '"Use it."'],
    ),
    ("The council\x07 voted\u202e today.\x00", ["The council voted today."]),
    ("<think>They want a summary.</think>\nThe council voted.", ["The council voted."]),
    ("The council voted. I hope this helps!", ["The council voted."]),
    ("# Council open-sources permit software\n\nThe council voted.", ["The council voted."]),
    ("Dr. Smith of the U.S. Senate said so. Others agreed.", None),
]


@pytest.mark.parametrize(("answer", "expected"), CLEANING)
def test_answers_are_cleaned(
    server: LocalLLMServer, answer: str, expected: list[str] | None
) -> None:
    server.reply(answer)
    got = summarise_once(settings_for(server))
    assert got == (expected or ["Dr. Smith of the U.S. Senate said so.", "Others agreed."])


def test_budget_drops_whole_sentences(server: LocalLLMServer) -> None:
    server.reply("One two three. Four five six. Seven eight nine. Ten.")
    assert summarise_once(settings_for(server), sentences=2) == ["One two three.", "Four five six."]
    assert summarise_once(settings_for(server), max_words=7) == ["One two three.", "Four five six."]
    assert summarise_once(settings_for(server), max_words=2) == ["One two three."]


def test_budget_helpers() -> None:
    long = " ".join(["word"] * 30) + "."
    assert clean_answer(long + " Short one.", sentences=3, max_words=10) == [long]
    cut = "The council voted. It said the code would be"
    assert clean_answer(cut, sentences=3, max_words=50, truncated=True) == ["The council voted."]
    assert clean_answer(cut, sentences=3, max_words=50) == [
        "The council voted.",
        "It said the code would be",
    ]
    assert split_sentences("It rose 3.5 per cent. Then it fell! Why? “Nobody knows.”") == [
        "It rose 3.5 per cent.",
        "Then it fell!",
        "Why?",
        "“Nobody knows.”",
    ]


def test_answer_built_from_the_request(server: LocalLLMServer) -> None:
    server.reply(echo_sentences(2, prefix="Summary: "))
    assert summarise_once(settings_for(server)) == [
        "The city council voted on Tuesday to open-source its permit software.",
        "Officials said the code would be published under the MIT licence.",
    ]


def test_cut_off_answer_without_a_whole_sentence_is_an_error(server: LocalLLMServer) -> None:
    server.reply("The council voted to publish", finish_reason="length")
    error = failure_of(settings_for(server))
    assert "cut off" in str(error)


# -- failures ------------------------------------------------------------------------


def check_message(error: LLMError, server: LocalLLMServer | None = None) -> str:
    message = str(error)
    assert "\n" not in message
    assert SECRET not in message
    if server is not None:
        assert server.host in message
    return message


def test_timeout(server: LocalLLMServer) -> None:
    server.reply(delay=2.0)
    started = time.monotonic()
    error = failure_of(settings_for(server, timeout=0.3))
    assert time.monotonic() - started < 1.5
    assert "timeout" in check_message(error, server)


def test_http_status(server: LocalLLMServer) -> None:
    server.reply(status=500, error="model crashed\nwith a traceback")
    error = failure_of(settings_for(server, api_key=SECRET))
    message = check_message(error, server)
    assert error.status == 500
    assert "HTTP 500" in message and "model crashed with a traceback" in message


def test_api_key_echoed_by_the_server_is_redacted(server: LocalLLMServer) -> None:
    server.reply(status=401, error=f"Incorrect API key provided: {SECRET}")
    error = failure_of(settings_for(server, api_key=SECRET))
    message = check_message(error, server)
    assert "HTTP 401" in message and "DIGEST_LLM_API_KEY" in message
    assert "***" in message


@pytest.mark.parametrize(
    ("raw", "cause"),
    [
        (b"{not json", "invalid JSON"),
        (b'{"object": "chat.completion", "choices": []}', "choices[0].message.content"),
        (b'{"error": {"message": "model not loaded"}}', "model not loaded"),
    ],
)
def test_malformed_answers(server: LocalLLMServer, raw: bytes, cause: str) -> None:
    server.reply(raw=raw)
    assert cause in check_message(failure_of(settings_for(server)), server)


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        ("", "empty answer"),
        ("   \n ", "empty answer"),
        ("Summary:", "empty answer"),
        ("<think>Reasoning that never ends", "empty answer"),
        ("I'm sorry, but I cannot help with that request.", "refused"),
        ("I cannot summarise this article.", "refused"),
        ("As an AI language model, I have no opinion.", "refused"),
        ("The provided text does not contain an article.", "refused"),
    ],
)
def test_empty_and_refusing_answers(server: LocalLLMServer, answer: str, cause: str) -> None:
    server.reply(answer)
    assert cause in check_message(failure_of(settings_for(server)), server)


def test_connection_refused() -> None:
    url = closed_port_url()
    message = check_message(failure_of(settings_for(url)))
    assert url.split("//")[1].removesuffix("/v1") in message
    assert "refused" in message


def test_errors_are_digest_errors() -> None:
    assert issubclass(LLMError, DigestError) and issubclass(LLMError, RuntimeError)


def test_key_is_not_in_reprs(server: LocalLLMServer) -> None:
    settings = settings_for(server, api_key=SECRET)
    assert SECRET not in repr(settings)

    async def go() -> str:
        async with LLMSummariser(settings) as summariser:
            return repr(summariser)

    assert SECRET not in asyncio.run(go())


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        LLMSettings(base_url="http://x/v1", model="m", concurrency=0)
    with pytest.raises(ValueError, match="timeout"):
        LLMSettings(base_url="http://x/v1", model="m", timeout=0)


# -- batches -------------------------------------------------------------------------


def test_batch_mixes_llm_and_fallback_in_order(server: LocalLLMServer) -> None:
    def answer(body: Body) -> str:
        text = article_of(body)
        return "I'm sorry, I can't." if "refuse" in text else echo_sentences(1)(body)

    server.reply(answer)
    jobs = [job("a"), job("b", "Please refuse this one. It is odd."), job("c", "Short text here.")]
    results, _ = run_many(settings_for(server), jobs)
    assert [r.key for r in results] == ["a", "b", "c"]
    assert results[0] == LLMResult(
        "a",
        ("The city council voted on Tuesday to open-source its permit software.",),
        "llm",
        None,
    )
    assert results[1].method == "extractive"
    assert results[1].sentences == ("fallback b.",)
    assert results[1].error is not None and "refused" in results[1].error
    assert results[2].sentences == ("Short text here.",)


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"raw": b"<html>oops</html>"}, "invalid JSON"),
        ({"content": ""}, "empty answer"),
        ({"content": "I cannot do that."}, "refused"),
    ],
)
def test_failures_fall_back(server: LocalLLMServer, options: dict[str, Any], cause: str) -> None:
    server.reply(**options)
    [result], _ = run_many(settings_for(server), [job("k")])
    assert result.method == "extractive"
    assert result.sentences == ("fallback k.",)
    assert result.error is not None and cause in result.error and server.host in result.error


def test_timeout_falls_back(server: LocalLLMServer) -> None:
    server.reply(delay=2.0)
    [result], elapsed = run_many(settings_for(server, timeout=0.3), [job("slow")])
    assert elapsed < 1.5
    assert result.method == "extractive" and "timeout" in (result.error or "")


def test_empty_article_falls_back_without_a_request(server: LocalLLMServer) -> None:
    [result], _ = run_many(settings_for(server), [job("blank", "  \n ")])
    assert result.method == "extractive" and server.count == 0


def test_cache_avoids_repeat_requests(server: LocalLLMServer) -> None:
    server.reply(echo_sentences(1))

    async def go() -> tuple[list[LLMResult], list[LLMResult]]:
        async with LLMSummariser(settings_for(server)) as summariser:
            first = await summarise_many(summariser, [job("same"), job("same")], fallback=lead)
            second = await summarise_many(summariser, [job("same")], fallback=lead)
            return first, second

    first, second = asyncio.run(go())
    assert server.count == 1
    assert first[0] == first[1] == second[0]
    assert second[0].method == "llm"


def test_failures_are_not_cached(server: LocalLLMServer) -> None:
    server.then(status=503)

    async def go() -> tuple[LLMResult, LLMResult]:
        async with LLMSummariser(settings_for(server)) as summariser:
            [first] = await summarise_many(summariser, [job("x")], fallback=lead)
            [second] = await summarise_many(summariser, [job("x")], fallback=lead)
            return first, second

    first, second = asyncio.run(go())
    assert (first.method, second.method) == ("extractive", "llm")
    assert server.count == 2


def test_concurrency_is_bounded(server: LocalLLMServer) -> None:
    server.reply(echo_sentences(1), delay=0.1)
    results, _ = run_many(settings_for(server, concurrency=2), [job(str(i)) for i in range(6)])
    assert all(r.method == "llm" for r in results)
    assert server.count == 6
    assert server.max_in_flight == 2


def test_direct_calls_are_bounded_too(server: LocalLLMServer) -> None:
    server.reply(delay=0.1)

    async def go() -> None:
        async with LLMSummariser(settings_for(server, concurrency=3)) as summariser:
            await asyncio.gather(
                *(
                    summariser.summarise(title="t", text=ARTICLE, sentences=2, max_words=50)
                    for _ in range(7)
                )
            )

    asyncio.run(go())
    assert server.max_in_flight == 3


def test_circuit_breaker_on_error_status(server: LocalLLMServer) -> None:
    server.reply(status=500)
    results, _ = run_many(settings_for(server, concurrency=2), [job(str(i)) for i in range(10)])
    assert server.count <= 3
    assert all(r.method == "extractive" for r in results)
    skipped = [r for r in results if (r.error or "").startswith("skipped")]
    assert len(skipped) == 10 - server.count
    assert all("HTTP 500" in (r.error or "") and server.host in (r.error or "") for r in skipped)


def test_circuit_breaker_on_timeouts(server: LocalLLMServer) -> None:
    server.reply(delay=2.0)
    settings = settings_for(server, concurrency=2, timeout=0.2)
    results, elapsed = run_many(settings, [job(str(i)) for i in range(10)])
    assert server.count <= 3
    assert elapsed < 1.0  # two rounds of timeouts, not five
    assert all(r.method == "extractive" for r in results)


def test_circuit_breaker_on_a_closed_port() -> None:
    results, elapsed = run_many(settings_for(closed_port_url()), [job(str(i)) for i in range(10)])
    assert elapsed < 2
    assert all(r.method == "extractive" for r in results)
    assert all("refused" in (r.error or "") for r in results)
    assert sum((r.error or "").startswith("skipped") for r in results) >= 7


def test_successes_reset_the_breaker(server: LocalLLMServer) -> None:
    for _ in range(3):
        server.then(status=500)
        server.then(status=500)
        server.then("Fine.")
    results, _ = run_many(settings_for(server, concurrency=1), [job(str(i)) for i in range(9)])
    assert server.count == 9
    assert [r.method for r in results] == ["extractive", "extractive", "llm"] * 3


def test_fallback_errors_propagate(server: LocalLLMServer) -> None:
    server.reply(status=500)

    def broken(item: LLMJob) -> list[str]:
        raise KeyError(item.key)

    async def go() -> None:
        async with LLMSummariser(settings_for(server)) as summariser:
            await summarise_many(summariser, [job("a"), job("b")], fallback=broken)

    with pytest.raises(KeyError):
        asyncio.run(go())
