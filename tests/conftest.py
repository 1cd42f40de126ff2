"""Shared fixtures: a real HTTP server, real databases, and config files.

Also the session's hooks: the coverage floor only for the whole suite, and one summary
line each for the PostgreSQL tests' skip reason and for the throwaway cluster they used.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from digest.config import Settings, parse
from digest.store import Store, engine_url
from tests.support.httpd import LocalHTTPServer
from tests.support.postgres import DEBIAN_PROGRAMS, Cluster, ClusterError, find_programs

POSTGRES_ENV = "DIGEST_TEST_POSTGRES_URL"
CLUSTER = pytest.StashKey[Cluster]()
NO_POSTGRES = (
    f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
    f" or PostgreSQL's initdb and pg_ctl (on PATH or under {DEBIAN_PROGRAMS})"
)


def pytest_configure(config: pytest.Config) -> None:
    """Hold the coverage floor ([tool.coverage.report] fail_under) only for the whole suite.

    A run of chosen files or tests (paths, -k, -m, --deselect, --lf) still reports coverage,
    but a part of the suite covers less than all of it, so the floor would fail it for nothing.
    """
    option = config.option
    whole_suite = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not (
        option.keyword or option.markexpr or option.deselect or getattr(option, "lf", False)
    )
    coverage = config.pluginmanager.get_plugin("_cov")  # pytest-cov, unless --no-cov
    if not whole_suite and coverage is not None and hasattr(coverage, "options"):
        coverage.options.cov_fail_under = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    call: pytest.CallInfo[None],
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Place the PostgreSQL skips at their one cause here, so the summary has one line for all."""
    report = yield
    caught = call.excinfo
    if report.skipped and caught is not None and str(caught.value) == NO_POSTGRES:
        here = Path(__file__)
        [*_, cause] = [entry for entry in caught.traceback if Path(entry.path) == here]
        report.longrepr = (str(here), cause.lineno + 1, f"Skipped: {NO_POSTGRES}")
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    cluster = config.stash.get(CLUSTER, None)
    if cluster is not None:
        terminalreporter.write_line(
            f"PostgreSQL: a throwaway cluster at {cluster.url}, started in {cluster.seconds:.1f} s"
        )


@pytest.fixture
def httpd() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL server for the session: $DIGEST_TEST_POSTGRES_URL, else a throwaway cluster.

    The cluster (tests/support/postgres.py) starts on first use and stops at the session's end;
    with neither the variable nor PostgreSQL's server programs, the PostgreSQL tests skip.
    """
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    programs = find_programs()
    if programs is None:
        pytest.skip(NO_POSTGRES)
    cluster = Cluster(programs)
    request.addfinalizer(cluster.stop)
    try:
        url = cluster.start()
    except ClusterError as exc:
        pytest.fail(f"cannot start a throwaway PostgreSQL cluster: {exc}", pytrace=False)
    request.config.stash[CLUSTER] = cluster
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'digest.db'}"
        return
    base: str = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


ConfigWriter = Callable[..., Settings]


@pytest.fixture
def make_config(tmp_path: Path) -> ConfigWriter:
    """Write a config.toml into tmp_path from TOML snippets and load it.

    ``sources`` is a list of (name, url, section) or (name, url, section, extra TOML lines).
    """

    def write(
        *,
        sources: list[tuple[str, ...]] = (),  # type: ignore[assignment]
        sections: tuple[str, ...] = ("News",),
        fetch: str = "",
        extra: str = "",
        db_url: str | None = None,
    ) -> Settings:
        fetch_options = {"timeout": "5", "deadline": "10", "retry_base": "60"}
        for line in textwrap.dedent(fetch).splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                fetch_options[key.strip()] = value.strip()
        lines = [
            "[newsletter]",
            'title = "Test Digest"',
            'sender = "Test Digest <digest@example.org>"',
            "[storage]",
            f'url = "{db_url or "sqlite:///digest.db"}"',
            "[fetch]",
            *(f"{key} = {value}" for key, value in fetch_options.items()),
            textwrap.dedent(extra),
        ]
        for name in sections:
            lines += ["[[sections]]", f'name = "{name}"']
        for source in sources:
            name, url, section, *more = source
            lines += ["[[sources]]", f'name = "{name}"', f'url = "{url}"', f'section = "{section}"']
            lines += list(more)
        path = tmp_path / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return parse(path.read_text(encoding="utf-8"), path=path)

    return write
