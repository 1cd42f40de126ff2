"""Files that ship with digest: templates, the default config, the sample articles.

In a wheel they live inside the package (``digest/templates``,
``digest/config.toml``); in a checkout they are at the repository root.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    inside = PACKAGE / name
    if inside.exists():
        return inside
    return PACKAGE.parent / name


def templates_dir() -> Path:
    return _shipped("templates")


def default_config() -> Path:
    return _shipped("config.toml")


def samples_dir() -> Path:
    return PACKAGE / "samples"
