"""``digest serve``: run the web server of :mod:`digest.web`."""

from __future__ import annotations

import argparse

from digest.cli.common import Command, CommandFactory, load_settings
from digest.errors import ConfigError


def add_parsers(command: CommandFactory) -> None:
    """Add this module's commands with *command(name, summary, description)*."""
    serve = command(
        "serve",
        "run the web server: sign-up pages, the archive and the operator preview",
        "Serve the sign-up, confirmation, preferences and unsubscribe pages, the archive of "
        "sent editions (/archive) and the operator preview (/operator/preview) on [web] host "
        "and port. Outside loopback it needs DIGEST_SECRET_KEY (it signs subscribers' links). "
        "The preview answers only to the operator token, on loopback too: DIGEST_OPERATOR_TOKEN, "
        "or without it one made up at start and printed once in the preview's address. "
        "It answers only to the Host names of [newsletter] base_url, loopback and [web] "
        "allowed_hosts, and reads X-Forwarded-For / Forwarded only from [web] trusted_proxies. "
        "Stop it with Ctrl-C.",
    )
    serve.add_argument(
        "--host", metavar="HOST", help="listen on this address (default: [web] host)"
    )
    serve.add_argument(
        "--port", type=int, metavar="PORT", help="listen on this port (default: [web] port)"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from digest.web.app import serve  # the web stack loads only for this command

    if args.port is not None and not 0 < args.port < 65536:
        raise ConfigError(f"--port: expected a port number from 1 to 65535, got {args.port}")
    serve(load_settings(args), host=args.host, port=args.port)
    return 0


COMMANDS: dict[str, Command] = {"serve": cmd_serve}
