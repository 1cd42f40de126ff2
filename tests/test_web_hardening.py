"""The web server's own defences, against the real ``digest serve`` (uvicorn in a subprocess).

The Host header must name this site; the operator preview answers only to the
token (the one in DIGEST_OPERATOR_TOKEN, or the one printed at start), on
loopback too; ``X-Forwarded-For`` / ``Forwarded`` count only from
``[web] trusted_proxies``, so the sign-up limits key on the real client behind a
proxy; and every answer, errors included, carries the security headers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

from digest.cli.main import main
from digest.config import Settings
from digest.pipeline.audience import open_audience
from digest.pipeline.editions import public_renderer, publish
from digest.web.app import allowed_hosts
from digest.web.proxies import forwarded_client, parse_networks
from tests.conftest import ConfigWriter
from tests.support.smtpd import SMTPServer, free_port
from tests.test_render import make_digest
from tests.test_web import ARTICLES, Inbox, inbox, running_site, site_config  # noqa: F401

SECRET = "a-test-secret-that-is-long-enough-0123456789"
BASE_URL = "https://news.example.org"
PLAIN_URL = "http://127.0.0.1"  # for httpx to send the CSRF cookie (Secure with https) back
TOKEN_IN_URL = re.compile(r"/operator/preview\?token=([A-Za-z0-9_-]+)")


@dataclass
class Served:
    """A running ``digest serve``, its output read as it comes."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    err: str = ""

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 20) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := pattern.search(line):
                    return found
            assert self.process.poll() is None, self.process.communicate()
            time.sleep(0.05)
        raise AssertionError(f"digest serve printed no {pattern.pattern!r}: {self.lines}")

    @property
    def out(self) -> str:
        return "".join(self.lines)

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=10, **options)  # type: ignore[arg-type]


@contextmanager
def serve(
    tmp_path: Path,
    web: str,
    *,
    smtp: str = "",
    env: dict[str, str] | None = None,
    base_url: str = BASE_URL,
) -> Iterator[Served]:
    """``digest serve`` on a free port with ``[web]`` lines *web*."""
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        '[newsletter]\ntitle = "Test Digest"\nsender = "Test Digest <digest@example.org>"\n'
        f'base_url = "{base_url}"\n[storage]\nurl = "sqlite:///digest.db"\n'
        f'[web]\nport = {port}\n{web}\n{smtp}\n[[sections]]\nname = "News"\n',
        encoding="utf-8",
    )
    environ = {k: v for k, v in os.environ.items() if k != "DIGEST_OPERATOR_TOKEN"}
    environ.update({"DIGEST_SECRET_KEY": SECRET, **(env or {})})
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "serve"],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    served = Served(process, f"http://127.0.0.1:{port}")
    reader = threading.Thread(target=served.read, daemon=True)
    reader.start()
    try:
        served.wait_for(re.compile(r"preview\s"))
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{served.url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, served.lines
                time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, served.err = process.communicate(timeout=20)
        finally:
            reader.join(5)
    assert "Traceback" not in served.err, served.err


# -- the Host header -------------------------------------------------------------------------

ROUTES = (
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/subscribe"),
    ("POST", "/subscribe"),
    ("GET", "/confirm/some-token"),
    ("POST", "/confirm/some-token"),
    ("GET", "/preferences/some-token"),
    ("GET", "/unsubscribe/some-token"),
    ("POST", "/unsubscribe/some-token"),
    ("GET", "/archive"),
    ("GET", "/archive/1"),
    ("GET", "/operator/preview"),
    ("GET", "/operator/preview/email"),
    ("GET", "/operator/stamp"),
    ("GET", "/no/such/page"),
)


def assert_secured(answer: httpx.Response) -> None:
    """The headers every answer carries."""
    headers = answer.headers
    where = f"{answer.request.method} {answer.request.url.path} -> {answer.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", where
    policy = headers.get("content-security-policy", "")
    assert policy, where
    framing = headers.get("x-frame-options")
    assert framing == "DENY" or (framing == "SAMEORIGIN" and "frame-ancestors 'self'" in policy), (
        where
    )
    assert "frame-ancestors 'none'" in policy or framing == "SAMEORIGIN", where


def assert_private(answer: httpx.Response) -> None:
    """What a page with a token or someone's data carries besides."""
    assert_secured(answer)
    where = f"{answer.request.method} {answer.request.url.path}"
    assert answer.headers.get("cache-control") == "no-store", where
    assert answer.headers.get("referrer-policy") == "no-referrer", where


# base_url's host (any case), [web] allowed_hosts (a name, a wildcard), loopback names
OWN_HOSTS = ("NEWS.Example.org", "digest.example.net", "shop.example.com", "localhost", "127.0.0.1")


def test_every_route_answers_only_to_the_sites_own_host_names(tmp_path: Path) -> None:
    token = "operator-token-from-the-environment-0123"
    web = 'allowed_hosts = ["digest.example.net", "*.example.com"]'
    with (
        serve(tmp_path, web, env={"DIGEST_OPERATOR_TOKEN": token}) as site,
        site.client() as client,
    ):
        bearer = {"Authorization": f"Bearer {token}"}
        for method, path in ROUTES:
            for host in ("evil.example", "news.example.org.evil.example", "example.com"):
                answer = client.request(method, path, headers={"Host": host, **bearer})
                assert answer.status_code == 400, (method, path, host)
                assert answer.text == "Invalid host header"
                assert_secured(answer)
        port = site.url.rsplit(":", 1)[1]
        for host in (*OWN_HOSTS, f"localhost:{port}", f"[::1]:{port}"):
            answer = client.get("/subscribe", headers={"Host": host})
            assert answer.status_code == 200, host
            assert (
                client.get("/operator/stamp", headers={"Host": host, **bearer}).status_code == 200
            )
        assert client.get("/healthz").status_code == 200  # httpx's own Host: 127.0.0.1:port
    assert token not in site.out + site.err  # a token from the environment is never printed


def test_the_host_names_come_from_base_url_loopback_the_listen_address_and_allowed_hosts(
    make_config: ConfigWriter,
) -> None:
    def names(web: str, base_url: str = "http://127.0.0.1:8080") -> list[str]:
        settings = make_config(extra=f"[web]\n{web}\n")
        return allowed_hosts(
            replace(settings, newsletter=replace(settings.newsletter, base_url=base_url))
        )

    assert names('allowed_hosts = ["Digest.Example.net", "*.example.com"]', BASE_URL) == [
        "news.example.org", "127.0.0.1", "localhost", "[::1]", "digest.example.net",
        "*.example.com",
    ]  # fmt: skip
    # one listen address is a name it answers to; every interface is not
    assert "192.0.2.5" in names('host = "192.0.2.5"')
    assert "[2001:db8::5]" in names('host = "2001:db8::5"', "http://[2001:db8::1]:8080")
    assert "[2001:db8::1]" in names('host = "::"', "http://[2001:db8::1]:8080")
    assert "0.0.0.0" not in names('host = "0.0.0.0"') and "[::]" not in names('host = "::"')
    assert "news.example.org" not in names("")


# -- the operator's token --------------------------------------------------------------------


def test_the_operator_preview_answers_only_to_the_token_printed_at_start(tmp_path: Path) -> None:
    with serve(tmp_path, "") as site, site.client() as client:
        token = site.wait_for(TOKEN_IN_URL).group(1)
        assert len(token) >= 32
        for path in ("/operator/preview", "/operator/preview/email", "/operator/stamp"):
            refused = client.get(path)  # this machine, directly: still refused
            assert refused.status_code in (401, 403), path
            assert_private(refused)
        assert client.get("/operator/preview", params={"token": token[:-1]}).status_code == 403
        stamp = client.get("/operator/stamp", headers={"Authorization": f"Bearer {token}"})
        assert stamp.status_code == 200 and "stamp" in stamp.json()
        assert_private(stamp)

        login = client.get("/operator/preview", params={"view": "text", "token": token})
        assert login.status_code == 303
        assert login.headers["location"] == "/operator/preview?view=text"
        assert_private(login)
        header = login.headers["set-cookie"]
        assert token not in header
        morsel = SimpleCookie(header)["digest_operator"]
        assert morsel.value and token not in morsel.value
        assert morsel["httponly"] and morsel["secure"]  # base_url is https
        assert morsel["samesite"].lower() == "strict" and morsel["path"] == "/operator"

        # A Secure cookie goes over https only: the proxy in front would carry it.
        session = {"Cookie": f"digest_operator={morsel.value}"}
        page = client.get("/operator/preview", params={"view": "text"}, headers=session)
        assert page.status_code == 200 and 'id="stamp"' in page.text
        assert_private(page)
        assert client.get("/operator/stamp", headers=session).status_code == 200
        as_cookie = client.get("/operator/stamp", headers={"Cookie": f"digest_operator={token}"})
        assert as_cookie.status_code == 403
        other = "a" if morsel.value[-1] != "a" else "b"
        forged = {"Cookie": f"digest_operator={morsel.value[:-1]}{other}"}
        assert client.get("/operator/stamp", headers=forged).status_code == 403
    assert (site.out + site.err).count(token) == 1  # printed once, never logged


# -- behind a reverse proxy ------------------------------------------------------------------


def sign_up_form(client: httpx.Client) -> dict[str, str]:
    """The sign-up form's CSRF value and first section, from the page (and its cookie)."""
    form = client.get("/subscribe")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    section = re.search(r'name="sections" value="([^"]+)"', form.text)
    assert form.status_code == 200 and csrf and section, form.text
    return {"csrf_token": csrf.group(1), "sections": section.group(1)}


class SignUps:
    """Sign-ups through the form, each with a new address and the given headers."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.fields = sign_up_form(client)
        self.count = 0

    def post(self, **headers: str) -> int:
        self.count += 1
        answer = self.client.post(
            "/subscribe",
            data={"email": f"reader{self.count}@example.net", **self.fields},
            headers={k.replace("_", "-"): v for k, v in headers.items()},
        )
        assert answer.status_code in (200, 303, 429), answer.text
        return answer.status_code

    def until_limited(self, limit: int = 30, **headers: str) -> int:
        """How many sign-ups with *headers* it takes to get a 429 (the last one included)."""
        for attempt in range(1, limit + 1):
            if self.post(**headers) == 429:
                return attempt
        raise AssertionError(f"no 429 after {limit} sign-ups with {headers}")


def test_forwarded_clients_have_buckets_of_their_own_behind_a_trusted_proxy(
    tmp_path: Path,
) -> None:
    web = 'trusted_proxies = ["127.0.0.0/8"]'  # a range: the test's connections come from one
    with (
        SMTPServer() as smtpd,
        serve(tmp_path, web, smtp=smtpd.config, base_url=PLAIN_URL) as site,
        site.client() as client,
    ):
        form = SignUps(client)
        first = form.until_limited(X_Forwarded_For="198.51.100.1")
        assert first > 1
        assert form.post(X_Forwarded_For="198.51.100.2") == 200  # another client, own bucket
        # the client is the rightmost address that is not one of our proxies
        assert form.post(X_Forwarded_For="198.51.100.1, 127.0.0.5") == 429
        assert form.post(X_Forwarded_For="198.51.100.1, 198.51.100.3") == 200  # no spoofing
        # RFC 7239 Forwarded counts too, from a trusted peer
        assert form.post(Forwarded="for=198.51.100.1;proto=https") == 429
        assert form.post(Forwarded='for="[2001:db8::7]:4711"') == 200
        # X-Real-IP and the like never count: those sign-ups share the peer's own bucket
        others = ("X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP")
        attempts = 0
        while True:
            attempts += 1
            name = others[attempts % len(others)]
            if form.post(**{name.replace("-", "_"): f"203.0.113.{attempts}"}) == 429:
                break
            assert attempts <= first, "X-Real-IP and the like were trusted"
        assert attempts == first


def test_without_trusted_proxies_forwarding_headers_change_nothing(tmp_path: Path) -> None:
    # Empty list: uvicorn's own default (trust 127.0.0.1, where these requests come from)
    # must not apply.
    with (
        SMTPServer() as smtpd,
        serve(tmp_path, "trusted_proxies = []", smtp=smtpd.config, base_url=PLAIN_URL) as site,
        site.client() as client,
    ):
        form = SignUps(client)
        attempts = 0
        while True:
            attempts += 1
            forwarded = {"X_Forwarded_For": f"198.51.100.{attempts}"}
            if attempts % 2:
                forwarded = {"Forwarded": f"for=198.51.100.{attempts}"}
            if form.post(**forwarded) == 429:
                break
            assert attempts <= 30, "a forwarding header gave a bucket of its own"
        assert form.post() == 429  # all of them were the peer's one bucket
        assert form.post(X_Forwarded_For="198.51.100.200") == 429


def test_the_forwarded_header_is_read_from_the_right() -> None:
    ours = parse_networks(["10.0.0.0/8", "192.0.2.1"])
    assert forwarded_client("for=198.51.100.4", ours) == "198.51.100.4"
    assert forwarded_client("for=198.51.100.4, for=10.1.2.3", ours) == "198.51.100.4"
    assert forwarded_client("for=1.1.1.1, for=198.51.100.4;by=192.0.2.1", ours) == "198.51.100.4"
    assert forwarded_client('for="[2001:DB8::7]:4711"', ours) == "2001:db8::7"
    assert forwarded_client('For="198.51.100.4:80";proto=https', ours) == "198.51.100.4"
    # a hop that hides its client ends the walk: the peer's address is kept
    assert forwarded_client("for=198.51.100.4, for=unknown", ours) is None
    assert forwarded_client("for=198.51.100.4, for=_hidden", ours) is None
    assert forwarded_client("proto=https", ours) is None
    # a quote a client left open cannot swallow what our proxy appended
    assert forwarded_client('for=1.1.1.1;x=", for="[2001:db8::1]"', ours) == "2001:db8::1"
    assert forwarded_client("for=10.0.0.1, for=192.0.2.1", ours) is None  # only our proxies


# -- the security headers on every answer ----------------------------------------------------


def test_every_answer_carries_the_security_headers(site_config: Settings, tmp_path: Path) -> None:  # noqa: F811
    overrides = tmp_path / "overrides"
    (overrides / "web").mkdir(parents=True)
    # a page that cannot render: the one the last request of this test asks for, a 500
    (overrides / "web" / "unsubscribed.html").write_text("{% if %}broken", encoding="utf-8")
    settings = replace(site_config, newsletter=replace(site_config.newsletter, templates=overrides))
    assert main(["--config", str(settings.path), "fetch"]) == 0
    with running_site(settings) as site, site.client() as client:
        now = datetime.now(UTC)
        audience = open_audience(site.store, site.settings, site.app.state.renderer)
        ann = audience.subscribe("ann@example.org", source="test", now=now).subscriber
        bob = audience.subscribe("bob@example.org", source="test", confirmed=True, now=now)
        assert ann is not None and bob.subscriber is not None
        links = site.app.state.site.state.links
        confirm = links.url("confirm", ann, now=now).removeprefix(site.url)
        mine = links.links(bob.subscriber, "preferences", "unsubscribe", now=now)
        url = publish(site.store, public_renderer(site.app.state.renderer), make_digest(), now=now)

        private = [client.get(confirm), client.get(mine["preferences"].removeprefix(site.url))]
        private.append(client.get(mine["unsubscribe"].removeprefix(site.url)))
        with site.operator() as operator:
            private += [operator.get(p) for p in ("/operator/preview", "/operator/stamp")]
            private.append(operator.get("/operator/preview/email"))
        private += [client.get("/operator/preview"), client.get("/subscribe")]
        for answer in private:
            assert_private(answer)
        assert [a.status_code for a in private] == [200] * 6 + [403, 200]
        assert private[5].headers["x-frame-options"] == "SAMEORIGIN"  # framed by the preview

        public = {
            200: [client.get("/archive"), client.get(url.removeprefix(site.url))],
            303: [client.get("/")],
            400: [client.get("/archive", headers={"Host": "evil.example"})],
            403: [client.post("/subscribe", data={"email": "x@example.org"})],
            404: [client.get("/no/such/page"), client.get("/archive/99999999999999999999")],
            405: [client.put("/subscribe"), client.delete("/healthz")],
        }
        public[200].append(client.get("/archive", params={"before": "²"}))  # not a 500
        for status, answers in public.items():
            for answer in answers:
                assert answer.status_code == status, (answer.request.url, answer.text[:200])
                assert_secured(answer)
        assert "frame-ancestors 'none'" in public[200][1].headers["content-security-policy"]

        limited = SignUps(client)
        limited.until_limited()
        again = client.post("/subscribe", data=limited.fields)
        assert again.status_code == 429
        assert_secured(again)

        failed = client.post(mine["unsubscribe"].removeprefix(site.url))
        assert failed.status_code == 500, failed.text
        assert_secured(failed)


def test_a_server_error_outside_the_audiences_pages_carries_them_too(
    site_config: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Starlette's own error page is made outside the middleware it is given: /archive is a
    # route of the outer app, whose 500 the audience's app does not see.
    overrides = tmp_path / "overrides"
    (overrides / "web").mkdir(parents=True)
    (overrides / "web" / "archive.html").write_text("{% if %}broken", encoding="utf-8")
    settings = replace(site_config, newsletter=replace(site_config.newsletter, templates=overrides))
    with running_site(settings) as site, site.client() as client:
        failed = client.get("/archive")
        assert failed.status_code == 500 and failed.text == "Internal Server Error"
        assert_secured(failed)
        assert failed.headers["cache-control"] == "no-store"
