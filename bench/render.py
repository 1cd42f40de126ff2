"""Benchmark rendering: personalised digests for many subscribers, shared against naive.

Usage, from the repository root::

    python bench/render.py [--subscribers 10000] [--variants 8] [--stories 25]

Every subscriber gets a 25-story digest personalised with their own name,
address and signed links; they fall into a handful of distinct contents (by
default 8 section combinations).  Two ways are timed in the same run:

* ``digest``: :class:`digest.mail.render.Renderer` as the sender uses it: Jinja and
  MJML once per distinct content, then each subscriber's values filled in;
* ``naive``: Jinja plus an MJML compile for every subscriber (the same renderer
  with its cache turned off).  It is timed on a sample (``--naive-sample``,
  default 200 subscribers) and extrapolated to all of them; the output says so.

Then building the MIME message (``build_message`` + ``message_bytes``) per
recipient, against the naive way with the email package's own encoders
(``set_content`` / ``add_alternative`` with quoted-printable).  Every figure is
the median of ``--repeats`` runs (default 3).
"""

from __future__ import annotations

import argparse
import itertools
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from digest.mail.message import build_message, message_bytes  # noqa: E402
from digest.mail.render import Personal, RenderedEmail, Renderer  # noqa: E402
from digest.records import Candidate, Digest, DigestSection, Story  # noqa: E402

NOW = datetime(2025, 6, 3, 5, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Paris")
BASE = "https://news.example.org"
SECTIONS = ("World", "Technology", "Science", "Business", "Culture")
SENDER = Address("Morning Brief", "news", "example.org")
SUMMARY = (
    "The regional council approved the plan on Monday after a debate that lasted most of "
    "the afternoon, with a narrow majority in favour.",
    "Opponents said the cost estimates were out of date and asked for an independent review "
    "before any contract is signed.",
)


def story(section: str, n: int) -> Story:
    def article(id: int, source: str) -> Candidate:
        return Candidate(
            id=id,
            source=source,
            section=section,
            title=f"{section} story {n}: officials approve the plan after a long debate",
            url=f"{BASE}/{section.lower()}/{id}",
            published=NOW - timedelta(minutes=37 * n),
            fetched=NOW - timedelta(minutes=5),
            summary=SUMMARY,
            words=400 + 37 * n,
        )

    also = (article(10_000 + n, "River Times"),) if n % 2 else ()
    return Story(lead=article(n, "Daily Planet"), also=also, score=100.0 - n)


def variants(count: int, stories: int) -> list[Digest]:
    """*count* distinct digests of *stories* stories each, by section combination."""
    combos = [c for k in (3, 4, 2, 5) for c in itertools.combinations(SECTIONS, k)][:count]
    digests = []
    for combo in combos:
        per, extra = divmod(stories - 1, len(combo))
        sections = tuple(
            DigestSection(
                name=name,
                stories=tuple(story(name, 100 * i + k) for k in range(per + (i < extra))),
                more=2,
            )
            for i, name in enumerate(combo)
        )
        top = (story("World", 9_999),)
        digests.append(Digest(since=NOW - timedelta(days=1), until=NOW, top=top, sections=sections))
    return digests


def people(count: int) -> list[Personal]:
    token = secrets.token_urlsafe
    return [
        Personal(
            email=f"reader{i}@example.net",
            name=f"Reader {i}" if i % 2 else "",
            unsubscribe_url=f"{BASE}/unsubscribe/{token(48)}",
            preferences_url=f"{BASE}/preferences/{token(48)}",
            web_url=f"{BASE}/archive/{i % 97}",
        )
        for i in range(count)
    ]


def new_renderer(cache_size: int) -> Renderer:
    return Renderer(
        title="Morning Brief",
        base_url=BASE,
        postal_address="Example Media Ltd, 1 Harbour Street, Springfield",
        timezone=ZONE,
        cache_size=cache_size,
    )


def render_all(cache_size: int, digests: list[Digest], readers: list[Personal]) -> float:
    """Seconds to render one digest for every reader with a fresh renderer."""
    renderer = new_renderer(cache_size)
    started = time.perf_counter()
    for i, reader in enumerate(readers):
        renderer.digest(digests[i % len(digests)], personal=reader, tz=ZONE)
    return time.perf_counter() - started


def naive_message(rendered: RenderedEmail, to: str) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = rendered.subject
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    return message.as_bytes()


def ours_message(rendered: RenderedEmail, to: str) -> bytes:
    message = build_message(
        rendered,
        sender=SENDER,
        to=to,
        unsubscribe_url=f"{BASE}/unsubscribe/x",
        list_id="brief.example.org",
        list_name="Morning Brief",
    )
    return message_bytes(message)


def time_messages(
    build: Callable[[RenderedEmail, str], bytes], emails: list[RenderedEmail]
) -> float:
    started = time.perf_counter()
    for i, rendered in enumerate(emails):
        build(rendered, f"reader{i}@example.net")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=8, help="distinct contents")
    parser.add_argument("--stories", type=int, default=25, help="stories per digest")
    parser.add_argument("--naive-sample", type=int, default=200, help="subscribers timed naively")
    parser.add_argument("--messages", type=int, default=500, help="messages built per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    digests = variants(args.variants, args.stories)
    readers = people(args.subscribers)
    sample = readers[: args.naive_sample]
    probe = new_renderer(8).digest(digests[0], personal=readers[0], tz=ZONE)
    print(
        f"{args.subscribers} subscribers, {len(digests)} distinct contents "
        f"({args.stories} stories each, HTML {probe.size / 1024:.0f} KB), "
        f"median of {args.repeats} runs\n"
    )

    ours = statistics.median(render_all(256, digests, readers) for _ in range(args.repeats))
    naive_sample = statistics.median(render_all(0, digests, sample) for _ in range(args.repeats))
    naive = naive_sample * len(readers) / len(sample)
    header = f"{'rendering':<56} {'renders/s':>10} {'s per run':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    print(
        f"{'naive: Jinja + MJML per subscriber (extrapolated from ' + str(len(sample)) + ')':<56} "
        f"{len(sample) / naive_sample:>10,.0f} {naive:>10.2f} {1:>7.1f}"
    )
    print(
        f"{'digest: once per content + personal fill':<56} "
        f"{len(readers) / ours:>10,.0f} {ours:>10.2f} {naive / ours:>7.1f}"
    )

    renderer = new_renderer(256)
    emails = [
        renderer.digest(digests[i % len(digests)], personal=reader, tz=ZONE)
        for i, reader in enumerate(readers[: args.messages])
    ]
    slow = statistics.median(time_messages(naive_message, emails) for _ in range(args.repeats))
    fast = statistics.median(time_messages(ours_message, emails) for _ in range(args.repeats))
    count = len(emails)
    header = (
        f"\n{'message building (per recipient)':<56} {'µs each':>10} {'msgs/s':>10} {'ratio':>7}"
    )
    print(header)
    print("-" * (len(header) - 1))
    print(
        f"{'naive: set_content + add_alternative, quoted-printable':<56} "
        f"{slow / count * 1e6:>10,.0f} {count / slow:>10,.0f} {1:>7.1f}"
    )
    print(
        f"{'digest: build_message + message_bytes (shared encoding)':<56} "
        f"{fast / count * 1e6:>10,.0f} {count / fast:>10,.0f} {slow / fast:>7.1f}"
    )
    print(
        "\nrenders/s: finished personalised emails (subject, HTML, text) per second on one core;"
        "\nthe naive row is timed on a sample and scaled to all subscribers.  Message building"
        "\nincludes the headers (From, To, List-Unsubscribe, ...) and serialising with CRLF."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
