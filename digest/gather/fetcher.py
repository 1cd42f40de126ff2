"""HTTP fetching with the limits a polite, robust crawler needs.

* bounded concurrency, globally and per host;
* a clear User-Agent, a per-request timeout (covering the whole exchange);
* a cap on the body size *after* decompression, enforced while decoding, so a
  gzip bomb costs at most the cap in memory;
* at most ``max_redirects`` redirects, reporting whether every hop was permanent;
* conditional GET with a stored ETag and Last-Modified.

HTTP errors, timeouts and connection failures become :class:`FetchError`
subclasses whose messages name the URL's host and the cause.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from digest.closing import AsyncClosing
from digest.config import FetchSettings
from digest.errors import FetchError, FetchTimeout, TooLarge, connect_failure
from digest.gather.urls import host_key

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.7, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # the URL the body came from, after redirects
    status: int  # 200 or 304
    headers: httpx.Headers
    body: bytes
    moved_to: str | None  # the final URL when every redirect on the way was permanent

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, status: int, retry_after: float | None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_CONNECT_FAILURES = {
    "refused": "connection refused by {key} (is the server up?)",
    "dns": "cannot resolve host {host} (offline, or a typo in the URL?)",
    "unreachable": "network unreachable for {host} (offline?)",
}


def describe_connect_error(url: str, exc: Exception) -> str:
    """One line naming why a connection to *url* failed (see :func:`connect_failure`)."""
    host = urlsplit(url).hostname or url
    failure = connect_failure(exc)
    if failure is None:
        return f"cannot connect to {host_key(url)}: {str(exc) or type(exc).__name__}"
    return _CONNECT_FAILURES[failure].format(key=host_key(url), host=host)


class _Decoder:
    """Decode a gzip/deflate body incrementally, never holding more than the cap."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.limit = limit
        self.url = url
        self.size = 0
        self.parts: list[bytes] = []
        encoding = encoding.strip().lower()
        if encoding in {"gzip", "x-gzip"}:
            self.zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.zlib = zlib.decompressobj()
        elif encoding in {"", "identity"}:
            self.zlib = None
        else:
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}")

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(
                f"response from {host_key(self.url)} is larger than {self.limit:,} bytes "
                "(raise [fetch] max_bytes if this source is legitimate)"
            )
        if data:
            self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self.zlib is None:
            self._keep(chunk)
            return
        data = chunk
        while data:
            try:
                out = self.zlib.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise FetchError(f"{self.url}: corrupt compressed body: {exc}") from exc
            self._keep(out)
            data = self.zlib.unconsumed_tail
            if self.zlib.eof:
                break

    def finish(self) -> bytes:
        if self.zlib is not None:
            self._keep(self.zlib.flush())
        return b"".join(self.parts)


class Fetcher(AsyncClosing):
    """An HTTP client shared by all the fetches of one gathering run."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> Response:
        """GET *url*, following up to ``max_redirects`` redirects."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        permanent = True
        for _hop in range(self.settings.max_redirects + 1):
            status, response_headers, body = await self._request(current, headers)
            if status in REDIRECTS and "location" in response_headers:
                permanent = permanent and status in PERMANENT
                current = urljoin(current, response_headers["location"].strip())
                if urlsplit(current).scheme not in {"http", "https"}:
                    raise FetchError(f"{url}: redirected to a non-HTTP URL {current!r}")
                continue
            moved = current if permanent and current != url else None
            return Response(
                url=current, status=status, headers=response_headers, body=body, moved_to=moved
            )
        raise FetchError(f"too many redirects from {url} (more than {self.settings.max_redirects})")

    async def _request(self, url: str, headers: dict[str, str]) -> tuple[int, httpx.Headers, bytes]:
        async with self._global, self._hosts[host_key(url)]:
            try:
                async with asyncio.timeout(self.settings.timeout):
                    return await self._exchange(url, headers)
            except TimeoutError as exc:
                raise FetchTimeout(
                    f"no complete answer from {host_key(url)} within "
                    f"{self.settings.timeout:g} s ([fetch] timeout)"
                ) from exc
            except httpx.TimeoutException as exc:
                raise FetchTimeout(
                    f"no answer from {host_key(url)} within {self.settings.timeout:g} s "
                    "([fetch] timeout)"
                ) from exc
            except (httpx.ConnectError, httpx.NetworkError) as exc:
                raise FetchError(describe_connect_error(url, exc)) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {exc or type(exc).__name__}") from exc

    async def _exchange(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECTS or status == 304:
                return status, response.headers, b""
            if status >= 400:
                raise HTTPStatusError(
                    f"HTTP {status} {response.reason_phrase} from {url}",
                    status=status,
                    retry_after=_retry_after(response.headers.get("retry-after")),
                )
            encoding = response.headers.get("content-encoding", "")
            length = response.headers.get("content-length", "")
            if not encoding and length.isdigit() and int(length) > self.settings.max_bytes:
                raise TooLarge(
                    f"response from {host_key(url)} announces {int(length):,} bytes, more "
                    f"than {self.settings.max_bytes:,} (raise [fetch] max_bytes if legitimate)"
                )
            decoder = _Decoder(encoding, self.settings.max_bytes, url)
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
            return status, response.headers, decoder.finish()
