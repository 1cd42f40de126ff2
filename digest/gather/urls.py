"""URLs: canonical forms for identity, and what counts as the same site."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only tell the publisher where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", "s_cid", "cmpid", "ocid",
        "ito", "smid", "sr_share", "__twitter_impression", "guccounter", "share",
        "ref_src", "ref_url", "spm",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "ns_", "at_", "pk_", "mtm_", "hmb_", "itm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, *, base: str = "") -> str:
    """*url* made absolute against *base*, with tracking parameters and the fragment removed.

    The scheme and host are lower-cased and a default port dropped; the path and
    the remaining query keep their order and case.  Non-http(s) URLs are returned
    unchanged apart from stripping.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def site(url: str) -> str:
    """The host of *url* without a leading ``www.``, for same-site comparisons."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def host_key(url: str) -> str:
    """The key per-host limits are counted under."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")


def identity_key(*, guid: str | None, url: str | None, content: str) -> str:
    """The sha256 an article is known by within its source: guid, else URL, else content."""
    if guid:
        basis = "guid:" + guid.strip()
    elif url:
        basis = "url:" + canonical_url(url)
    else:
        basis = "hash:" + content
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()
