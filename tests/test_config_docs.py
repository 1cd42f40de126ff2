"""Every configuration key the loader reads is in the default config.toml, with a comment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.config import load
from digest.config import values as config_module
from digest.resources import default_config

TABLE = re.compile(r"^\[\[?([\w.]+)\]\]?\s*(?:#.*)?$")
KEY = re.compile(r"^#?\s?(\w+)\s*=")
LISTED = re.compile(r"^#\s{2,}([a-z_]+):\s")


def keys_read_by_the_loader(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """(table.key) of every key the loader asks for while loading the default config."""
    seen: set[str] = set()
    original = config_module.Table.get

    def recording(self: config_module.Table, name: str, *args: object) -> object:
        prefix = re.sub(r"\[\d+\]", "", self.prefix)
        seen.add(f"{prefix}.{name}")
        return original(self, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(config_module.Table, "get", recording)
    load(default_config())
    return seen


def documented_keys(path: Path) -> Iterator[tuple[str, bool]]:
    """(table.key, has a comment right above it or a comment run above its group)."""
    table = ""
    comment_above = False
    listed: list[str] = []  # keys described in a comment block ("#   kind: ...")
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            comment_above = False
            continue
        if match := TABLE.match(line):
            table = match.group(1)
            if "." in table:  # a sub-table such as [summary.llm] is a key of its parent
                yield table, comment_above
            for key in listed:  # a comment block before a table describes its keys
                yield f"{table}.{key}", True
            listed = []
            comment_above = False
            continue
        if match := LISTED.match(line):
            listed.append(match.group(1))
        if line.startswith("#") and not KEY.match(line):
            comment_above = True
            continue
        if match := KEY.match(line):
            yield f"{table}.{match.group(1)}", comment_above


def test_every_key_read_is_documented_in_config_toml(monkeypatch: pytest.MonkeyPatch) -> None:
    read = keys_read_by_the_loader(monkeypatch)
    assert len(read) > 40  # the recorder saw the whole config
    documented: dict[str, bool] = {}
    for key, commented in documented_keys(default_config()):
        documented[key] = documented.get(key, False) or commented
    missing = sorted(key for key in read if key not in documented)
    assert missing == [], f"keys missing from config.toml: {missing}"
    uncommented = sorted(key for key in read if not documented[key])
    assert uncommented == [], f"keys without a comment in config.toml: {uncommented}"


def test_every_key_in_config_toml_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    read = keys_read_by_the_loader(monkeypatch)
    stale = sorted(key for key, _ in documented_keys(default_config()) if key not in read)
    assert stale == [], f"config.toml documents keys nothing reads: {stale}"
