"""Benchmark: gather 200 feeds from local servers that answer after 100 ms.

Prints the time of `digest`'s concurrent gathering (fetch, parse, store into
SQLite, with the default limits: 16 requests at once, 2 per host) beside a
plain sequential loop over the same feeds (httpx + feedparser, nothing stored),
measured in the same run, and their ratio.  The feeds are spread over several
loopback addresses (127.0.0.2, 127.0.0.3, ...) so that they count as separate
hosts, as real feeds do.

    python bench/gather.py [--feeds 200] [--hosts 25] [--delay 0.1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402
import httpx  # noqa: E402

from digest.config import parse  # noqa: E402
from digest.gather.sources import gather_sources  # noqa: E402
from digest.store import Store  # noqa: E402
from tests.support.feeds import Item, long_text, rss20  # noqa: E402
from tests.support.httpd import LocalHTTPServer  # noqa: E402


def start_servers(feeds: int, hosts: int, delay: float) -> tuple[list[LocalHTTPServer], list[str]]:
    servers = [LocalHTTPServer(f"127.0.0.{n + 2}").start() for n in range(hosts)]
    urls = []
    for n in range(feeds):
        server = servers[n % hosts]
        path = f"/feed/{n}.xml"
        items = [
            Item(
                title=f"Feed {n} story {i}",
                link=server.url(f"/feed/{n}/story-{i}"),
                guid=f"urn:{n}:{i}",
                date="Tue, 24 Nov 2026 08:00:00 GMT",
                content=long_text(f"feed {n} story {i}", 3),
            )
            for i in range(10)
        ]
        server.route(path, rss20(items), content_type="application/rss+xml", delay=delay)
        urls.append(server.url(path))
    return servers, urls


def sequential(urls: list[str]) -> float:
    started = time.perf_counter()
    entries = 0
    with httpx.Client(timeout=30) as client:
        for url in urls:
            response = client.get(url)
            entries += len(feedparser.parse(io.BytesIO(response.content)).entries)
    elapsed = time.perf_counter() - started
    assert entries == 10 * len(urls), entries
    return elapsed


def concurrent(urls: list[str], workdir: Path, run: int) -> float:
    lines = ['[newsletter]\ntitle = "Bench"', '[storage]\nurl = "sqlite:///bench.db"']
    lines.append('[[sections]]\nname = "News"')
    for n, url in enumerate(urls):
        lines.append(f'[[sources]]\nname = "feed {n}"\nurl = "{url}"')
    path = workdir / f"run{run}" / "config.toml"
    path.parent.mkdir()
    path.write_text("\n".join(lines), encoding="utf-8")
    settings = parse(path.read_text(encoding="utf-8"), path=path)
    with Store(settings.storage.url) as store:
        started = time.perf_counter()
        reports = asyncio.run(gather_sources(store, settings))
        elapsed = time.perf_counter() - started
        stored = len(store.articles())
    failed = [r for r in reports if not r.succeeded]
    assert not failed, failed[0].error
    assert stored == 10 * len(urls), stored
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--delay", type=float, default=0.1, help="server delay per request (s)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    servers, urls = start_servers(args.feeds, args.hosts, args.delay)
    try:
        seq_times, con_times = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.repeat):
                con_times.append(concurrent(urls, Path(tmp), run))
                seq_times.append(sequential(urls))
        seq, con = statistics.median(seq_times), statistics.median(con_times)
        print(
            f"gather {args.feeds} feeds on {args.hosts} hosts, {args.delay * 1000:.0f} ms "
            f"per response, median of {args.repeat} runs"
        )
        print(f"{'method':<44} {'median s':>9} {'feeds/s':>9}")
        print(f"{'sequential loop (httpx + feedparser)':<44} {seq:>9.2f} {args.feeds / seq:>9.1f}")
        print(
            f"{'digest gather (fetch+parse+store, 16/2 limits)':<44} "
            f"{con:>9.2f} {args.feeds / con:>9.1f}"
        )
        print(f"speed-up: {seq / con:.1f}x")
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
