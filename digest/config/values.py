"""Reading values out of ``config.toml``: a view of one table that names the file and key
in every error, and the checks for values several tables share (paths, URLs, addresses,
host names, networks, origins).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from digest.errors import ConfigError

T = TypeVar("T")


def show(value: object) -> str:
    """Render a config value the way TOML/JSON would write it."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


class Table:
    """A view of one TOML table that reports errors with the file and key path."""

    def __init__(self, file: str, prefix: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.prefix = prefix
        self.data = data
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.key(name)}: {message}")

    def expected(self, name: str, what: str, value: object) -> ConfigError:
        return self.fail(name, f"expected {what}, got {show(value)}")

    def get(self, name: str, kind: type[T], default: T | None, what: str) -> T:
        self.used.add(name)
        if name not in self.data:
            if default is None:
                others = [key for key in self.data if key not in self.used]
                typo = difflib.get_close_matches(name, others, n=1)
                if typo:  # `nmae = "x"` says so, rather than that name is missing
                    raise self.fail(typo[0], f"unknown key; did you mean {name}?")
                raise self.fail(name, f"missing; expected {what}")
            return default
        value = self.data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.expected(name, what, value)
        return value

    def text(self, name: str, default: str | None = None, what: str = "a string") -> str:
        return self.get(name, str, default, what).strip()

    def positive(self, name: str, default: int, *, maximum: int = 1_000_000_000) -> int:
        value = self.get(name, int, default, "a positive whole number")
        if not 1 <= value <= maximum:
            raise self.expected(name, f"a whole number from 1 to {maximum}", value)
        return value

    def seconds(self, name: str, default: float) -> float:
        value = self.get(name, float, default, "a number of seconds")
        if value <= 0:
            raise self.expected(name, "a number of seconds greater than 0", value)
        return value

    def strings(self, name: str) -> list[str]:
        """A list of non-empty strings (default: empty), each stripped."""
        what = "a list of strings"
        values = self.get(name, list, [], what)
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise self.expected(name, what, values)
        return [v.strip() for v in values]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        what = "one of " + ", ".join(f'"{c}"' for c in choices)
        value = self.get(name, str, default, what)
        if value not in choices:
            raise self.expected(name, what, value)
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            message = unknown_name(unknown[0], self.used, "unknown key", listing="known keys here")
            raise self.fail(unknown[0], message)


def unknown_name(name: str, known: Iterable[str], what: str, *, listing: str = "known") -> str:
    """*what* ("unknown key"), naming the closest of the *known* names when one is close
    to *name* ("unknown key; did you mean frequency?"), else listing them all."""
    choices = sorted(known)
    close = difflib.get_close_matches(name, choices, n=1) or difflib.get_close_matches(
        name.lower(), choices, n=1
    )
    if close:
        return f"{what}; did you mean {close[0]}?"
    return f"{what} ({listing}: {', '.join(choices)})"


def table(file: str, root: Mapping[str, Any], name: str) -> Table:
    value = root.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{file}: {name}: expected a table [{name}], got {show(value)}")
    return Table(file, name, value)


def array(file: str, root: Mapping[str, Any], name: str) -> list[Table]:
    value = root.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(
            f"{file}: {name}: expected an array of tables [[{name}]], got {show(value)}"
        )
    return [Table(file, f"{name}[{i}]", item) for i, item in enumerate(value, start=1)]


def resolve_path(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def parse_sender(table: Table) -> Address:
    raw = table.text("sender", "Digest <digest@localhost>", 'an address such as "Name <a@b.org>"')
    name, addr = parseaddr(raw)
    if not addr or "@" not in addr or any(c in raw for c in "\r\n\0"):
        raise table.expected("sender", 'an address such as "Name <news@example.org>"', raw)
    username, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError) as exc:
        raise table.expected("sender", 'an address such as "Name <news@example.org>"', raw) from exc


def http_url(table: Table, name: str, default: str) -> str:
    value = table.text(name, default, "an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise table.expected(name, "an http(s) URL", value)
    return value.rstrip("/")


HOST_NAME = re.compile(
    r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def host_name(t: Table, name: str, value: str) -> str:
    """A host name (``*.example.org`` allowed), lower-cased; no port, scheme or path."""
    if not HOST_NAME.match(value):
        raise t.expected(name, 'a host name such as "news.example.org" or "*.example.org"', value)
    return value.lower()


def network(t: Table, value: str) -> str:
    """An IP address or CIDR range, in its canonical spelling."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError as exc:
        raise t.expected(
            "trusted_proxies", 'an IP address or CIDR range such as "10.0.0.0/8"', value
        ) from exc


def origin(t: Table, value: str) -> str:
    """``scheme://host[:port]`` with nothing after it, as browsers send in ``Origin``."""
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise t.expected("embed_origins", 'an origin such as "https://blog.example.org"', value)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
