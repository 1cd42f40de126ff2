"""``digest preview``, run for real through ``main``.

Articles come from folder sources fetched with ``digest fetch`` into a real
SQLite file or PostgreSQL schema; subscribers are made through the audience
service.  Only ``webbrowser.open`` is replaced (by a recorder): a browser
cannot be driven from these tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from digest.cli.main import main
from digest.config import Settings, load
from digest.mail.render import Renderer
from digest.pipeline.audience import open_audience
from digest.store import Store
from subscribers.service import Audience
from subscribers.views import SubscriberView
from tests.conftest import ConfigWriter

SECRET = "a-test-secret-that-is-long-enough-0123456789"
SCIENCE = {
    "comet.md": "# Comet seen over the Alps\n\nAstronomers in Geneva tracked a bright comet "
    "across the night sky on Tuesday. The comet will be visible for another week. Observers "
    "should look north after dusk.\n",
    "reef.md": "# Coral reef recovers after heat wave\n\nMarine biologists reported that the "
    "reef off Queensland has regrown most of its coral. The recovery took four years. "
    "Scientists warn that more heat waves are coming.\n",
}
WORLD = {
    "bridge.md": "# Harbour bridge reopens after repairs\n\nThe city's oldest bridge carried "
    "traffic again on Monday after eighteen months of repairs. Engineers replaced the cables "
    "and the deck. Cyclists get a lane of their own.\n",
}
SCIENCE_TITLES = ("Comet seen over the Alps", "Coral reef recovers after heat wave")
WORLD_TITLES = ("Harbour bridge reopens after repairs",)
TITLES = SCIENCE_TITLES + WORLD_TITLES
READER = "ann@example.org"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", SECRET)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # where the preview lands by default


@dataclass
class Site:
    settings: Settings
    config: Path

    def store(self) -> Store:
        return Store(self.settings.storage.url)

    def audience(self, store: Store) -> Audience:
        return open_audience(store, self.settings, Renderer.from_settings(self.settings.newsletter))


def _folder(path: Path, articles: dict[str, str]) -> str:
    path.mkdir()
    for name, text in articles.items():
        (path / name).write_text(text, encoding="utf-8")
    return str(path)


def _site(make_config: ConfigWriter, tmp_path: Path, db_url: str, **options: str) -> Site:
    """A config with a Science and a World folder source, fetched into *db_url*."""
    settings = make_config(
        sources=[
            ("Lab notes", _folder(tmp_path / "science", SCIENCE), "Science"),
            ("Wire", _folder(tmp_path / "world", WORLD), "World"),
        ],
        sections=("Science", "World"),
        db_url=db_url,
        extra=options.get("extra", ""),
    )
    config = settings.path
    if "newsletter" in options:  # more [newsletter] keys: make_config writes only a few
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace("[newsletter]\n", f"[newsletter]\n{options['newsletter']}\n", 1),
            encoding="utf-8",
        )
    assert main(["--config", str(config), "fetch"]) == 0
    return Site(settings=load(config), config=config)


@pytest.fixture
def site(make_config: ConfigWriter, tmp_path: Path, db_url: str) -> Site:
    return _site(make_config, tmp_path, db_url)


def preview(capsys: pytest.CaptureFixture[str], site: Site, *options: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what fetching printed
    code = main(["--config", str(site.config), "preview", *options])
    out, err = capsys.readouterr()
    return code, out, err


def subscribe(site: Site, sections: tuple[str, ...] | None = None) -> SubscriberView:
    with site.store() as store:
        outcome = site.audience(store).subscribe(
            READER,
            name="Ann Reader",
            sections=sections,
            source="test",
            confirmed=True,
            now=datetime.now(UTC) - timedelta(days=3),
        )
    assert outcome.subscriber is not None and outcome.subscriber.status == "active"
    return outcome.subscriber


def find(site: Site) -> SubscriberView:
    with site.store() as store:
        view = site.audience(store).find(READER)
    assert view is not None
    return view


def written(out: str) -> Path:
    found = re.search(r"^wrote (.+) \(([\d,]+) bytes\)$", out, re.MULTILINE)
    assert found, out
    path = Path(found.group(1))
    assert path.stat().st_size == int(found.group(2).replace(",", ""))
    return path


def stories_line(out: str) -> str:
    found = re.search(r"^stories: .*$", out, re.MULTILINE)
    assert found, out
    return found.group(0)


def parsed(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, kind
    return str(part.get_content())  # type: ignore[attr-defined]


# -- the default reader -----------------------------------------------------------------


def test_default_preview_writes_html_to_the_working_folder(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    with site.store() as store:
        stored = [article.title for article in store.articles()]
    assert sorted(stored) == sorted(TITLES)

    code, out, err = preview(capsys, site)

    assert code == 0, err
    assert err == ""
    path = written(out)
    assert path == Path.cwd() / "digest-preview.html"
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    for title in stored:
        assert title in html
    assert "preview of the digest for the default reader (every section, daily)" in out
    assert stories_line(out).startswith("stories: 3 since ")
    assert stories_line(out).endswith("in Science, World")
    budget = r"^HTML part: ([\d,]+) bytes, \d+% of the 100 KB Gmail clipping budget$"
    size = re.search(budget, out, re.MULTILINE)
    assert size, out
    assert int(size.group(1).replace(",", "")) == len(html.encode("utf-8"))
    assert "Welcome! Your first digest" not in html  # a regular reader's digest


def test_text_format(capsys: pytest.CaptureFixture[str], site: Site) -> None:
    code, out, err = preview(capsys, site, "--format", "text")

    assert code == 0, err
    path = written(out)
    assert path == Path.cwd() / "digest-preview.txt"
    text = path.read_text(encoding="utf-8")
    assert "<table" not in text and "<p" not in text
    for title in TITLES:
        assert title in text
    assert "HTML part: " in out  # the budget concerns the email, whichever part is written


def test_eml_is_the_message_as_it_would_be_sent(
    capsys: pytest.CaptureFixture[str], site: Site, tmp_path: Path
) -> None:
    code, out, err = preview(capsys, site, "--format", "eml", "--output", str(tmp_path))

    assert code == 0, err
    path = written(out)
    assert path == tmp_path / "digest-preview.eml"  # a folder gets the default name
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF, as on the wire
    message = parsed(path)
    assert message["To"] == "preview@example.invalid"
    assert message["From"] == "Test Digest <digest@example.org>"
    assert message["List-Unsubscribe"] == "<http://127.0.0.1:8080/subscribe>"  # neutral
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == '"Test Digest" <digest.example.org>'
    assert message.get_content_type() == "multipart/alternative"
    for title in TITLES:
        assert title in body(message, "plain")
        assert title in body(message, "html")


# -- one subscriber -----------------------------------------------------------------------


def test_subscriber_preview_has_their_sections_address_and_links(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    view = subscribe(site, sections=("World",))

    code, out, err = preview(capsys, site, "--subscriber", "Ann@Example.org", "--format", "eml")

    assert code == 0, err
    assert err == ""
    assert "preview of the digest for Ann Reader <ann@example.org>" in out
    assert stories_line(out).startswith("stories: 1 since ")
    assert stories_line(out).endswith("in World")
    message = parsed(written(out))
    assert message["To"] == "Ann Reader <ann@example.org>"
    unsubscribe = re.fullmatch(r"<(\S+)>", str(message["List-Unsubscribe"]))
    assert unsubscribe, message["List-Unsubscribe"]
    assert unsubscribe.group(1).startswith("http://127.0.0.1:8080/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    for kind in ("plain", "html"):
        text = body(message, kind)
        assert WORLD_TITLES[0] in text
        assert not any(title in text for title in SCIENCE_TITLES)
        assert "/preferences/" in text
        assert "http://127.0.0.1:8080/archive" in text  # no edition yet: the archive's index
    assert view.watermark is None


def test_preview_changes_nothing(capsys: pytest.CaptureFixture[str], site: Site) -> None:
    subscribe(site)
    before = find(site)
    with site.store() as store:
        editions = store.editions()
        consents = site.audience(store).consents(before.id)

    first = preview(capsys, site, "--subscriber", READER)
    second = preview(capsys, site, "--subscriber", READER)

    assert first[0] == second[0] == 0
    assert stories_line(first[1]) == stories_line(second[1])
    assert stories_line(first[1]).startswith("stories: 3 since ")
    html = written(second[1]).read_text(encoding="utf-8")
    assert all(title in html for title in TITLES)
    after = find(site)
    assert after == before  # watermark, next due time, status, token stamp: all as they were
    with site.store() as store:
        assert store.editions() == editions == []
        assert site.audience(store).consents(before.id) == consents


def test_nothing_new_is_said_plainly_and_writes_no_file(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    view = subscribe(site)
    watermark = datetime.now(UTC)
    with site.store() as store:
        site.audience(store).mark_delivered(view.id, watermark=watermark, now=watermark)

    code, out, err = preview(capsys, site, "--subscriber", READER)

    assert code == 0, err
    stamp = watermark.strftime("%Y-%m-%d %H:%M UTC")
    assert out == f"nothing new for {READER} since {stamp}: no digest would be sent\n"
    assert list(Path.cwd().iterdir()) == []


def test_nothing_new_with_when_empty_note_previews_the_note(
    capsys: pytest.CaptureFixture[str], make_config: ConfigWriter, tmp_path: Path, db_url: str
) -> None:
    site = _site(make_config, tmp_path, db_url, extra='[stories]\nwhen_empty = "note"\n')
    view = subscribe(site)
    now = datetime.now(UTC)
    with site.store() as store:
        site.audience(store).mark_delivered(view.id, watermark=now, now=now)

    code, out, err = preview(capsys, site, "--subscriber", READER, "--format", "text")

    assert code == 0, err
    assert stories_line(out).startswith("stories: none since ")
    assert "subject: Test Digest: nothing new" in out
    text = written(out).read_text(encoding="utf-8")
    assert not any(title in text for title in TITLES)


def test_a_subscriber_who_left_is_previewed_with_a_warning(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    subscribe(site)
    with site.store() as store:
        site.audience(store).unsubscribe_address(READER, now=datetime.now(UTC), source="test")

    code, out, err = preview(capsys, site, "--subscriber", READER)

    assert code == 0, err
    assert err == f"warning: {READER} is unsubscribed: they would not receive this digest\n"
    assert all(title in written(out).read_text(encoding="utf-8") for title in TITLES)


def test_unknown_subscriber_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    code, out, err = preview(capsys, site, "--subscriber", "nobody@example.org")

    assert code == 2
    assert out == ""
    assert err == "error: --subscriber: no subscriber has the address nobody@example.org\n"
    assert list(Path.cwd().iterdir()) == []


# -- errors and --open ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "where"),
    [
        pytest.param(
            "<mjml><mj-body>\n{% for story in %}\n</mj-body></mjml>\n",
            "digest.mjml.j2:2: ",
            id="jinja-syntax",
        ),
        pytest.param(
            "<mjml>\n<mj-body>\n<mj-section>\n<mj-text>{{ items }}</mj-text>\n</mj-body>\n"
            "</mjml>\n",
            "invalid MJML",
            id="invalid-mjml",
        ),
        pytest.param(
            "<mjml>\n<mj-body>\n<mj-text>{{ stories }}</mj-text>\n</mj-body>\n</mjml>\n",
            "digest.mjml.j2:3: 'stories' is undefined",
            id="undefined",
        ),
    ],
)
def test_a_broken_template_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str],
    make_config: ConfigWriter,
    tmp_path: Path,
    db_url: str,
    source: str,
    where: str,
) -> None:
    overrides = tmp_path / "overrides" / "email"
    overrides.mkdir(parents=True)
    (overrides / "digest.mjml.j2").write_text(source, encoding="utf-8")
    site = _site(make_config, tmp_path, db_url, newsletter='templates = "overrides"')

    code, out, err = preview(capsys, site)

    assert code == 1
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {overrides / 'digest.mjml.j2'}")
    assert where in err
    assert "Traceback" not in err
    assert list(Path.cwd().iterdir()) == []


def test_an_output_that_cannot_be_written_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], site: Site
) -> None:
    code, out, err = preview(capsys, site, "--output", "no/such/folder/preview.html")

    assert code == 1
    assert out == ""
    assert err.startswith("error: --output: cannot write ") and len(err.splitlines()) == 1, err
    assert list(Path.cwd().iterdir()) == []


def test_open_shows_the_file_in_the_browser(
    capsys: pytest.CaptureFixture[str], site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def record(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", record)
    code, out, err = preview(capsys, site, "--open", "--output", "today.html")

    assert code == 0, err
    path = written(out)
    assert path == Path.cwd() / "today.html"
    assert opened == [path.resolve().as_uri()]


def test_help_explains_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["preview", "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Nothing is sent and nothing is recorded" in out
    for option in ("--subscriber EMAIL", "--format {html,text,eml}", "--output PATH", "--open"):
        assert option in out


def _without_message_id(raw: bytes) -> bytes:
    return re.sub(rb"(?m)^Message-ID: .*\r?\n", b"", raw)


def test_preview_is_the_per_recipient_build_that_sending_uses(site: Site) -> None:
    from digest.pipeline.digests import build_digest, subscriber_reader
    from digest.pipeline.preview import build_preview

    view = subscribe(site, sections=("World",))
    now = datetime.now(UTC) + timedelta(minutes=1)
    renderer = Renderer.from_settings(site.settings.newsletter)
    with site.store() as store:
        shown = build_preview(store, site.settings, renderer, subscriber=READER, now=now)
        reader = subscriber_reader(
            site.settings, view, now=now, web_url="http://127.0.0.1:8080/archive"
        )
        built = build_digest(store, site.settings, renderer, reader, now=now)
    assert built.would_send and shown.would_send
    assert b"Message-ID: " in built.raw
    # Byte for byte the same message, bar the Message-ID each build makes afresh.
    assert _without_message_id(shown.raw) == _without_message_id(built.raw)
    sent = message_from_bytes(built.raw, policy=policy.default)
    assert sent["To"] == "Ann Reader <ann@example.org>"
    assert WORLD_TITLES[0] in body(sent, "plain")
