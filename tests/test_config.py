"""Configuration: validated once, with one-line errors that name file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import load, parse, parse_duration
from digest.errors import ConfigError

BASE = """
[newsletter]
title = "T"
[[sections]]
name = "World"
[[sections]]
name = "Tech"
"""


def parse_text(extra: str, tmp_path: Path, base: str = BASE):
    path = tmp_path / "config.toml"
    return parse(base + extra, path=path)


def error_of(extra: str, tmp_path: Path, base: str = BASE) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_text(extra, tmp_path, base)
    message = str(caught.value)
    assert "\n" not in message
    prefix = f"{tmp_path / 'config.toml'}: "  # the file as it was given
    assert message.startswith(prefix)
    return message.removeprefix(prefix)


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    settings = parse_text("", tmp_path)
    assert settings.newsletter.send_at == "07:00"
    assert settings.newsletter.frequency == "daily"
    assert settings.smtp.security == "none"
    assert settings.fetch.max_redirects == 5
    assert settings.storage.url == f"sqlite:///{tmp_path.resolve() / 'digest.db'}"
    assert [s.name for s in settings.sections] == ["World", "Tech"]
    assert str(settings.newsletter.sender) == "Digest <digest@localhost>"


def test_bad_source_url_names_the_source_index(tmp_path: Path) -> None:
    extra = """
[[sources]]
name = "a"
url = "https://example.org/feed"
[[sources]]
name = "b"
url = "ftp://x"
"""
    assert error_of(extra, tmp_path) == (
        'sources[2].url: expected an http(s) URL or a folder path, got "ftp://x"'
    )


def test_folder_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    settings = parse_text('[[sources]]\nname = "f"\nurl = "articles"\n', tmp_path)
    [source] = settings.sources
    assert (source.kind, source.url) == ("folder", str(tmp_path.resolve() / "articles"))
    assert source.section == "World"  # the first section by default


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '[[sources]]\nname = "x"\nurl = "http://a/"\n[[sources]]\nname = "x"\nurl = "http://b/"',
            'sources[2].name: two sources are named "x"',
        ),
        (
            '[[sources]]\nname = "x"\nurl = "http://a/"\nsection = "Sport"',
            'sources[1].section: unknown section "Sport" (sections are: "World", "Tech")',
        ),
        ('[smtp]\nhots = "x"', "smtp.hots: unknown key"),
        ('[smtp]\nport = "25"', 'smtp.port: expected a positive whole number, got "25"'),
        ("[smtp]\nport = 70000", "smtp.port: expected a whole number from 1 to 65535, got 70000"),
        (
            '[smtp]\nsecurity = "tls"\nport = 587',
            'smtp.security: "tls" (implicit TLS) with port 587',
        ),
        ('[smtp]\nsecurity = "ssl"', 'smtp.security: expected one of "none", "starttls", "tls"'),
        (
            '[newsletter]\ntimezone = "Mars/Olympus"',
            "newsletter.timezone: expected an IANA time zone",
        ),
        ('[newsletter]\nsend_at = "7am"', 'newsletter.send_at: expected a 24-hour time "HH:MM"'),
        ('[newsletter]\nsender = "not an address"', "newsletter.sender: expected an address"),
        (
            '[newsletter]\nfrequency = "hourly"',
            'newsletter.frequency: expected one of "daily", "weekly"',
        ),
        (
            '[storage]\nurl = "mysql://x"',
            'storage.url: expected "sqlite:///PATH" or "postgresql://',
        ),
        ("[fetch]\nmax_redirects = 9", "fetch.max_redirects: expected a whole number from 0 to 5"),
        ("[fetch]\ntimeout = 0", "fetch.timeout: expected a number of seconds greater than 0"),
        ("[fetch]\nretry_base = 100\nretry_max = 10", "fetch.retry_max: must not be less than"),
        ("[mail]\nx = 1", "mail: unknown table or key"),
        (
            '[[sources]]\nname = "x"\nurl = "http://a/"\nkind = "folder"',
            'sources[1].kind: "folder" needs url',
        ),
    ],
)
def test_invalid_values_and_contradictions(tmp_path: Path, extra: str, expected: str) -> None:
    base = BASE
    if extra.startswith("[newsletter]"):
        base = BASE.replace('[newsletter]\ntitle = "T"\n', "")
    assert expected in error_of(extra, tmp_path, base)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '[newsletter]\nfrequncy = "weekly"',
            "newsletter.frequncy: unknown key; did you mean frequency?",
        ),
        ("[fetch]\nretry-max = 10", "fetch.retry-max: unknown key; did you mean retry_max?"),
        (
            '[web]\nallowed_host = ["x.org"]',
            "web.allowed_host: unknown key; did you mean allowed_hosts?",
        ),
        ('[summary.llm]\nmodle = "m"', "summary.llm.modle: unknown key; did you mean model?"),
        (
            '[[sources]]\nnmae = "x"\nurl = "http://a/"',
            "sources[1].nmae: unknown key; did you mean name?",
        ),
        ('[newslettr]\ntitle = "T"', "newslettr: unknown table or key; did you mean newsletter?"),
        ('[[source]]\nname = "x"', "source: unknown table or key; did you mean sources?"),
        ("[Storage]\nurl = 'x'", "Storage: unknown table or key; did you mean storage?"),
        # Nothing close: every known name, so that the right one can be found.
        (
            '[smtp]\nzzz = "x"',
            "smtp.zzz: unknown key (known keys here: concurrency, host, port, security, "
            "timeout, username)",
        ),
        (
            "[mail]\nx = 1",
            "mail: unknown table or key (known: fetch, newsletter, sections, smtp, sources, "
            "storage, stories, summary, web)",
        ),
    ],
)
def test_an_unknown_key_or_table_names_the_closest_known_one(
    tmp_path: Path, extra: str, expected: str
) -> None:
    base = BASE.replace('[newsletter]\ntitle = "T"\n', "") if "[newsletter]" in extra else BASE
    assert error_of(extra, tmp_path, base) == expected


def test_errors_name_the_file_as_it_was_given(tmp_path: Path) -> None:
    bad = tmp_path / "some" / "dir" / "bad.toml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BASE + '[smtp]\nport = "25"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(bad)
    assert str(caught.value) == f'{bad}: smtp.port: expected a positive whole number, got "25"'
    with pytest.raises(ConfigError) as caught:
        parse("[newsletter", path=Path("relative/site.toml"))
    assert str(caught.value).startswith("relative/site.toml: not valid TOML: ")


def test_sections_are_required_and_unique(tmp_path: Path) -> None:
    assert "expected at least one [[sections]]" in error_of("", tmp_path, base="")
    duplicate = BASE + '[[sections]]\nname = "World"\n'
    assert 'sections[3].name: section "World" is defined twice' in error_of("", tmp_path, duplicate)


def test_invalid_toml_is_reported_with_its_position(tmp_path: Path) -> None:
    assert "not valid TOML" in error_of("[smtp\n", tmp_path)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="digest init"):
        load(tmp_path / "nope.toml")


def test_config_env_variable_and_secrets_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(BASE, encoding="utf-8")
    monkeypatch.setenv("DIGEST_CONFIG", str(path))
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "hunter2")
    monkeypatch.setenv("DIGEST_SECRET_KEY", "k" * 40)
    settings = load()
    assert settings.path == path
    assert settings.smtp.password == "hunter2" and "hunter2" not in repr(settings)
    assert settings.secret_key == "k" * 40


def test_durations() -> None:
    assert parse_duration("24h") == 86400
    assert parse_duration("90m") == 5400
    assert parse_duration("2w") == 1209600
    with pytest.raises(ValueError, match="24h"):
        parse_duration("soon")
