"""The pipeline on a real store: summaries after gathering, stories, composition.

Runs on SQLite and on PostgreSQL (the ``db_url`` fixture).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text, update

from digest.config import Settings
from digest.content.compose import Preferences
from digest.content.summarise import summarise
from digest.errors import ConfigError
from digest.pipeline.articles import (
    SummaryInput,
    SummaryOutput,
    refresh,
    summarise_batch,
    summarise_pending,
    summary_hash,
)
from digest.pipeline.digests import compose_for
from digest.resources import samples_dir
from digest.store import Store
from digest.store.engine import alembic_config
from digest.store.models import Article
from tests.conftest import ConfigWriter
from tests.support.feeds import Item, rss20
from tests.support.httpd import LocalHTTPServer
from tests.support.llm_server import LocalLLMServer, Reply, echo_sentences

SAMPLES = samples_dir()


def sample_config(
    make_config: ConfigWriter, db_url: str, folder: Path | None = None, extra: str = ""
) -> Settings:
    base = folder or SAMPLES
    return make_config(
        sources=[
            ("World samples", str(base / "world"), "World"),
            ("Technology samples", str(base / "technology"), "Technology"),
            ("Science samples", str(base / "science"), "Science"),
        ],
        sections=("World", "Technology", "Science"),
        db_url=db_url,
        extra=extra,
    )


def run_refresh(store: Store, settings: Settings, now: datetime | None = None) -> object:
    return asyncio.run(refresh(store, settings, now=now))


def by_title(store: Store) -> dict[str, object]:
    return {a.title: a for a in store.articles()}


# -- summaries -----------------------------------------------------------------------


def test_fetch_summarises_every_article_with_whole_sentences_from_it(
    make_config: ConfigWriter, db_url: str
) -> None:
    settings = sample_config(make_config, db_url)
    with Store(db_url) as store:
        result = run_refresh(store, settings)
        articles = store.articles()
    assert result.summarised == len(articles) == 12  # type: ignore[attr-defined]
    for article in articles:
        assert 1 <= len(article.summary) <= settings.summary.sentences
        assert sum(len(s.split()) for s in article.summary) <= settings.summary.max_words
        assert article.summary_method in {"extractive", "standfirst"}
        if article.summary_method == "extractive":
            for sentence in article.summary:
                assert sentence in article.text  # whole sentences, taken from the article
            positions = [article.text.index(s) for s in article.summary]
            assert positions == sorted(positions)  # in the article's order


def test_summaries_are_cached_and_redone_only_when_article_or_settings_change(
    make_config: ConfigWriter, db_url: str
) -> None:
    settings = sample_config(make_config, db_url)
    with Store(db_url) as store:
        run_refresh(store, settings)
        assert asyncio.run(summarise_pending(store, settings)) == (0, 0)  # all cached

        # One article's text changes: only it is summarised again.
        with store.session() as session:
            target = session.scalars(select(Article).order_by(Article.id).limit(1)).one()
            target_id = target.id
            session.execute(
                update(Article)
                .where(Article.id == target_id)
                .values(
                    text="The harbour reopened on Friday. Ships queued for hours. "
                    "Officials said the repairs cost less than expected.",
                    content_hash="changed",
                )
            )
        assert asyncio.run(summarise_pending(store, settings)) == (1, 0)
        changed = next(a for a in store.articles() if a.id == target_id)
        assert changed.summary[0] == "The harbour reopened on Friday."

        # The method changes: everything is summarised again, by the new method.
        lead = sample_config(make_config, db_url, extra='[summary]\nmethod = "lead"\nsentences = 2')
        assert asyncio.run(summarise_pending(store, lead)) == (12, 0)
        assert asyncio.run(summarise_pending(store, lead)) == (0, 0)
        methods = {a.summary_method for a in store.articles()}
    assert methods <= {"lead", "standfirst"} and "lead" in methods


def test_summary_hash_depends_on_content_and_every_setting(make_config: ConfigWriter) -> None:
    base = make_config().summary
    fewer = make_config(extra="[summary]\nsentences = 2").summary
    shorter = make_config(extra="[summary]\nmax_words = 40").summary
    lead = make_config(extra='[summary]\nmethod = "lead"').summary
    hashes = {summary_hash(s, "article") for s in (base, fewer, shorter, lead)}
    assert len(hashes) == 4
    assert summary_hash(base, "article") != summary_hash(base, "other article")
    assert summary_hash(base, "article") == summary_hash(base, "article")


def llm_extra(server: LocalLLMServer, timeout: float = 5) -> str:
    return (
        '[summary]\nmethod = "llm"\nsentences = 2\n'
        f'[summary.llm]\nbase_url = "{server.base_url}"\nmodel = "test-model"\n'
        f"timeout = {timeout}\nconcurrency = 3\n"
    )


def test_llm_summaries_come_from_the_endpoint(make_config: ConfigWriter, db_url: str) -> None:
    with LocalLLMServer() as server:
        server.default = Reply(content=echo_sentences(2, prefix="In short: "))
        settings = sample_config(make_config, db_url, extra=llm_extra(server))
        with Store(db_url) as store:
            result = run_refresh(store, settings)
            assert (result.summarised, result.fallbacks) == (12, 0)  # type: ignore[attr-defined]
            articles = store.articles()
            assert {a.summary_method for a in articles} == {"llm"}
            assert all(a.summary[0].startswith("In short: ") for a in articles)
            assert len(server.requests) == 12
            assert all(r.body and r.body["model"] == "test-model" for r in server.requests)
            # Cached per article: nothing is asked again.
            assert asyncio.run(summarise_pending(store, settings)) == (0, 0)
            assert len(server.requests) == 12


def test_llm_failures_fall_back_to_extractive_and_are_retried_later(
    make_config: ConfigWriter, db_url: str
) -> None:
    with LocalLLMServer() as server:
        server.default = Reply(status=503, error="model is loading")
        settings = sample_config(make_config, db_url, extra=llm_extra(server))
        with Store(db_url) as store:
            result = run_refresh(store, settings)
            assert (result.summarised, result.fallbacks) == (12, 12)  # type: ignore[attr-defined]
            articles = store.articles()
            assert {a.summary_method for a in articles} <= {"extractive", "standfirst"}
            assert all(a.summary for a in articles)  # nobody is left without a summary

            # The endpoint recovers: the fallbacks are replaced by LLM summaries.
            server.default = Reply(content=echo_sentences(2))
            assert asyncio.run(summarise_pending(store, settings)) == (12, 0)
            assert {a.summary_method for a in store.articles()} == {"llm"}
            assert asyncio.run(summarise_pending(store, settings)) == (0, 0)


def test_llm_timeout_falls_back(make_config: ConfigWriter, db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    (folder / "world").mkdir(parents=True)
    for name in ("technology", "science"):
        (folder / name).mkdir()
    for path in sorted((SAMPLES / "world").iterdir())[:2]:
        shutil.copy(path, folder / "world" / path.name)
    with LocalLLMServer() as server:
        server.default = Reply(content="Too late.", delay=3)
        settings = sample_config(make_config, db_url, folder, extra=llm_extra(server, timeout=0.5))
        with Store(db_url) as store:
            result = run_refresh(store, settings)
    assert (result.summarised, result.fallbacks) == (2, 2)  # type: ignore[attr-defined]


# -- stories ---------------------------------------------------------------------------


def test_two_reports_of_one_event_become_one_story(make_config: ConfigWriter, db_url: str) -> None:
    settings = sample_config(make_config, db_url)
    with Store(db_url) as store:
        result = run_refresh(store, settings)
        articles = store.articles()
    assert result.shared == 1  # type: ignore[attr-defined]
    danube = [a for a in articles if "Danube" in a.title]
    assert len(danube) == 2
    assert danube[0].story_id == danube[1].story_id is not None
    others = [a for a in articles if "Danube" not in a.title]
    stories = [a.story_id for a in others]
    assert len(set(stories)) == len(others)  # every other article stands alone
    assert all(a.story_id in {a.id, None} for a in others)


# -- composition on the store ------------------------------------------------------------


def test_compose_for_a_new_subscriber_then_after_their_watermark(
    make_config: ConfigWriter, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    # The second report of the Danube story comes from another source.
    (folder / "wire").mkdir()
    barges = "barges-move-again-on-lower-danube.html"
    (folder / "world" / barges).rename(folder / "wire" / barges)
    settings = make_config(
        sources=[
            ("World samples", str(folder / "world"), "World"),
            ("Wire", str(folder / "wire"), "World"),
            ("Technology samples", str(folder / "technology"), "Technology"),
            ("Science samples", str(folder / "science"), "Science"),
        ],
        sections=("World", "Technology", "Science"),
        db_url=db_url,
        extra="[stories]\ntop_stories = 0",
    )
    now = datetime.now(UTC)
    with Store(db_url) as store:
        run_refresh(store, settings, now=now)
        first = compose_for(store, settings, Preferences(), now=now + timedelta(minutes=1))
        assert first.first and not first.empty
        assert [s.name for s in first.sections] == ["World", "Technology", "Science"]
        # 12 articles, but the Danube pair is one story, listed with "also reported by".
        assert len(first.stories) == 11
        assert len(set(first.article_ids)) == 12
        danube = next(s for s in first.stories if "Danube" in s.lead.title)
        assert danube.sources == ("World samples", "Wire") or danube.sources == (
            "Wire",
            "World samples",
        )
        assert first.sections[0].stories[0] is danube  # covered twice: it ranks first

        # Delivered: the next digest holds nothing until something new is gathered.
        watermark = first.until
        later = watermark + timedelta(hours=1)
        prefs = Preferences(watermark=watermark)
        assert compose_for(store, settings, prefs, now=later).empty

        new_file = folder / "science" / "new-telescope-first-light.md"
        new_file.write_text(
            "---\ntitle: New telescope sees first light in the Atacama\n---\n\n"
            + "The fictional Cerro Claro telescope recorded its first images on Sunday, "
            "astronomers said, after nine years of construction in Chile's Atacama desert. " * 3,
            encoding="utf-8",
        )
        run_refresh(store, settings, now=later)
        second = compose_for(
            store,
            settings,
            Preferences(watermark=watermark, sections=("Science",)),
            now=later + timedelta(minutes=1),
        )
    assert not second.first
    assert [s.name for s in second.sections] == ["Science"]
    assert [s.lead.title for s in second.stories] == [
        "New telescope sees first light in the Atacama"
    ]


def test_max_items_from_config_caps_sections(make_config: ConfigWriter, db_url: str) -> None:
    settings = make_config(
        sources=[("World samples", str(SAMPLES / "world"), "World")],
        sections=("World",),
        db_url=db_url,
    )
    path = settings.path
    path.write_text(
        path.read_text(encoding="utf-8").replace('name = "World"', 'name = "World"\nmax_items = 2'),
        encoding="utf-8",
    )
    from digest.config import load

    settings = load(path)
    now = datetime.now(UTC)
    with Store(db_url) as store:
        run_refresh(store, settings, now=now)
        digest = compose_for(store, settings, Preferences(), now=now + timedelta(minutes=1))
    (section,) = digest.sections
    assert len(section.stories) == 2
    assert section.more == 1  # four world articles, three stories: the Danube pair is one


# -- migrations -----------------------------------------------------------------------------


def test_migrating_from_the_first_schema_keeps_articles(db_url: str) -> None:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0001")
            connection.commit()
            now = datetime(2026, 1, 2, 3, 4, 5)
            connection.execute(
                text(
                    "INSERT INTO sources (name, config_url, url, kind, section, enabled, "
                    "last_status, failures, created_at) VALUES ('Old', "
                    "'https://old.example/feed', 'https://old.example/feed', 'feed', 'News', "
                    "true, 'ok', 0, :now)"
                ),
                {"now": now},
            )
            source_id = connection.execute(text("SELECT id FROM sources")).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO articles (source_id, key, url, title, author, description, "
                    "text, html, image_url, language, words, full_text, published_at, "
                    "fetched_at, updated_at, content_hash) VALUES (:sid, 'k1', "
                    "'https://old.example/a', 'Kept', '', '', 'Body text.', '', '', '', 2, "
                    "true, :now, :now, :now, 'h1')"
                ),
                {"sid": source_id, "now": now},
            )
            connection.commit()
    finally:
        engine.dispose()
    with Store(db_url) as store:
        assert store.migrated
        (article,) = store.articles()
    assert (article.title, article.text, article.summary, article.story_id) == (
        "Kept",
        "Body text.",
        (),
        None,
    )


def test_compose_skips_sections_nobody_configured(make_config: ConfigWriter, db_url: str) -> None:
    settings = sample_config(make_config, db_url)
    now = datetime.now(UTC)
    with Store(db_url) as store:
        run_refresh(store, settings, now=now)
        digest = compose_for(
            store, settings, Preferences(sections=("Nope",)), now=now + timedelta(minutes=1)
        )
    assert digest.empty


@pytest.mark.parametrize("frequency", ["daily", "weekly"])
def test_first_digest_period_follows_frequency(
    make_config: ConfigWriter, db_url: str, frequency: str
) -> None:
    settings = sample_config(make_config, db_url)
    now = datetime.now(UTC)
    with Store(db_url) as store:
        run_refresh(store, settings, now=now - timedelta(days=3))
        digest = compose_for(store, settings, Preferences(frequency=frequency), now=now)
    # Gathered three days ago: outside a daily first digest, inside a weekly one.
    assert digest.empty is (frequency == "daily")
    assert digest.since == now - (timedelta(days=1) if frequency == "daily" else timedelta(days=7))


# -- audit of issue 3: standfirsts, the configured budget, the API key ------------------------

HARBOUR = [
    "The harbour council of Port Wenlow has approved a two-year pilot of tidal turbines "
    "beside the old pier, ending a decade of argument over the site.",
    "Councillors voted nine to two in favour on Monday evening after a four-hour debate in "
    "which residents spoke both for and against the turbines.",
    "The start-up behind the scheme, Kelpwater Energy, said the three turbines would power "
    "about four hundred homes when the tide runs at full strength.",
    "Opponents warned that the turbines could disturb a colony of grey seals that breeds on "
    "the rocks below the pier every autumn.",
    "Kelpwater Energy has agreed to fund a survey of the seal colony by the regional "
    "wildlife trust before any turbine is installed.",
    "The pilot will be reviewed by the council after twelve months, and the turbines will "
    "be removed if the survey finds harm to the seals.",
]
HARBOUR_STANDFIRST = (
    "Port Wenlow's harbour council has approved a two-year pilot of tidal turbines beside "
    "the old pier. A survey of the grey seal colony will come first."
)


def test_a_feed_standfirst_is_the_summary_only_when_it_is_no_teaser(
    make_config: ConfigWriter, db_url: str, httpd: LocalHTTPServer
) -> None:
    now = datetime.now(UTC)
    content = "".join(f"<p>{sentence}</p>" for sentence in HARBOUR)
    descriptions = {
        "real": HARBOUR_STANDFIRST,
        "ellipsis": HARBOUR_STANDFIRST[:-1] + "\u2026",
        "read-more": HARBOUR_STANDFIRST + " Read more",
    }
    items = [
        Item(
            title=f"Harbour council backs tidal pilot ({name})",
            link=httpd.url(f"/{name}"),
            guid=f"urn:{name}",
            date=format_datetime(now - timedelta(hours=1), usegmt=True),
            summary=description,
            content=content,
        )
        for name, description in descriptions.items()
    ]
    httpd.route("/feed", rss20(items), content_type="application/rss+xml")
    settings = make_config(sources=[("Herald", httpd.url("/feed"), "News")], db_url=db_url)
    with Store(db_url) as store:
        run_refresh(store, settings, now=now)
        articles = {a.title.rsplit("(", 1)[1].rstrip(")"): a for a in store.articles()}
    assert set(articles) == set(descriptions)
    real = articles["real"]
    assert real.summary_method == "standfirst"
    assert " ".join(real.summary) == HARBOUR_STANDFIRST
    for name in ("ellipsis", "read-more"):
        teaser = articles[name]
        assert teaser.summary_method == "extractive", name
        assert set(teaser.summary) <= set(HARBOUR)  # the article's own sentences
        assert not any("Read more" in s or s.endswith("\u2026") for s in teaser.summary)


def test_configured_sentences_and_max_words_bound_every_stored_summary(
    make_config: ConfigWriter, db_url: str
) -> None:
    extra = "[summary]\nsentences = 2\nmax_words = 45\n"
    settings = sample_config(make_config, db_url, extra=extra)
    assert (settings.summary.sentences, settings.summary.max_words) == (2, 45)
    with Store(db_url) as store:
        run_refresh(store, settings)
        articles = store.articles()
    assert len(articles) == 12
    for article in articles:
        assert 1 <= len(article.summary) <= 2
        words = sum(len(s.split()) for s in article.summary)
        # whole sentences: over the budget only when one sentence alone is longer
        assert words <= 45 or len(article.summary) == 1, article.summary
        if article.summary_method == "extractive":
            positions = [article.text.index(s) for s in article.summary]
            assert positions == sorted(positions)


def test_the_llm_api_key_comes_from_the_environment(
    make_config: ConfigWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_LLM_API_KEY", "sk-from-the-environment")
    inputs = [SummaryInput(key="k1", title="Harbour pilot", text=" ".join(HARBOUR))]
    with LocalLLMServer() as server:
        server.default = Reply(content=echo_sentences(1))
        settings = make_config(extra=llm_extra(server))
        assert "sk-from-the-environment" not in repr(settings)
        [output] = asyncio.run(summarise_batch(settings.summary, inputs))
        [request] = server.requests
    assert output.method == "llm" and output.sentences == (HARBOUR[0],)
    assert request.headers["authorization"] == "Bearer sk-from-the-environment"

    monkeypatch.delenv("DIGEST_LLM_API_KEY")
    with LocalLLMServer() as server:
        settings = make_config(extra=llm_extra(server))
        asyncio.run(summarise_batch(settings.summary, inputs))
        [request] = server.requests
    assert "authorization" not in request.headers


def test_llm_method_uses_extractive_summaries_when_the_endpoint_is_down(
    make_config: ConfigWriter,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    extra = (
        '[summary]\nmethod = "llm"\n'
        f'[summary.llm]\nbase_url = "http://127.0.0.1:{port}/v1"\nmodel = "m"\ntimeout = 2\n'
    )
    settings = make_config(extra=extra)
    inputs = [SummaryInput(key="k", title="Harbour pilot", text="\n\n".join(HARBOUR))]
    [output] = asyncio.run(summarise_batch(settings.summary, inputs))
    expected = summarise("\n\n".join(HARBOUR), title="Harbour pilot")
    assert (output.method, output.sentences) == ("extractive", expected.sentences)
    assert output.error and "refused" in output.error


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[summary]\nmethod = "abstractive"', "method"),
        ('[summary]\nmethod = "llm"', "base_url"),
        ('[summary]\nmethod = "llm"\n[summary.llm]\nbase_url = "http://127.0.0.1:9/v1"', "model"),
        ("[summary]\nsentences = 0", "sentences"),
        ("[summary]\nmax_words = 0", "max_words"),
    ],
)
def test_summary_settings_are_checked(make_config: ConfigWriter, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(extra=extra)


def test_summary_method_from_the_config(make_config: ConfigWriter) -> None:
    question = "Will the turbines really power four hundred homes when the tide is at its peak?"
    text = "\n\n".join([HARBOUR[0], question, *HARBOUR[1:]])
    inputs = [SummaryInput(key="k", title="Harbour pilot", text=text)]
    default = make_config().summary
    lead = make_config(extra='[summary]\nmethod = "lead"').summary
    assert (default.method, lead.method) == ("extractive", "lead")
    [extractive_out] = asyncio.run(summarise_batch(default, inputs))
    [lead_out] = asyncio.run(summarise_batch(lead, inputs))
    assert lead_out == SummaryOutput((HARBOUR[0], question, HARBOUR[1]), "lead")
    assert extractive_out.method == "extractive" and question not in extractive_out.sentences
