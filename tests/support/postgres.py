"""A throwaway PostgreSQL cluster for one test session, made with initdb and pg_ctl.

The tests use it when DIGEST_TEST_POSTGRES_URL names no server of their own. The
cluster lives in a temporary folder, listens on a free loopback port (its unix
socket stays inside the folder), trusts local connections and runs without fsync.
PostgreSQL refuses to run as root, so under root it runs as the ``nobody`` user,
which then owns the folder. A watchdog process stops the cluster and removes the
folder when the session ends, and also when the test process dies without
cleaning up (it waits for its stdin to close, which happens either way).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any

from tests.support.smtpd import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
DEBIAN_PROGRAMS = "/usr/lib/postgresql/*/bin"
UNPRIVILEGED_USER = "nobody"
INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
SERVER_SETTINGS = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")
STOP_TIMEOUT = 60


class ClusterError(RuntimeError):
    """The cluster could not be made or started; the message says why, with the server's log."""


@dataclass(frozen=True)
class Programs:
    initdb: Path
    pg_ctl: Path


def find_programs(pattern: str = DEBIAN_PROGRAMS) -> Programs | None:
    """initdb and pg_ctl from PATH, else from the newest PostgreSQL under ``pattern``."""
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl")]
    if on_path[0] and on_path[1]:
        return Programs(Path(on_path[0]), Path(on_path[1]))

    def version(folder: str) -> list[int]:
        return [int(part) for part in re.findall(r"\d+", folder)]

    for folder in sorted(glob(pattern), key=version, reverse=True):
        initdb, pg_ctl = Path(folder, "initdb"), Path(folder, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return Programs(initdb, pg_ctl)
    return None


def _run_as(user: str | None) -> dict[str, Any]:
    """subprocess arguments that run a program as ``user`` (None: as ourselves)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


class Cluster:
    """One PostgreSQL cluster in a temporary folder; ``url`` once started."""

    def __init__(self, programs: Programs) -> None:
        self.programs = programs
        self.user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        self.folder = Path(tempfile.mkdtemp(prefix="digest-postgres-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.url = ""
        self.seconds = 0.0
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        # The watchdog stops the cluster and removes the folder once its stdin closes.
        watch = [str(programs.pg_ctl), str(self.data), str(self.folder), self.user or ""]
        self._watchdog: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "tests.support.postgres", *watch],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def _run(self, *command: str | Path) -> None:
        argv = [str(part) for part in command]
        done = subprocess.run(
            argv,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
            start_new_session=True,
            **_run_as(self.user),
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise ClusterError(
                f"{' '.join(argv)} failed ({done.returncode}): "
                f"{(done.stdout + done.stderr + log).strip()}"
            )

    def start(self) -> str:
        """Make the cluster and start its server; return its URL."""
        began = time.monotonic()
        self._run(self.programs.initdb, "-D", self.data, *INITDB_OPTIONS)
        for attempt in range(3):  # another process may take the free port before the server
            port = free_port()
            options = [f"-h 127.0.0.1 -p {port} -k {self.folder}"]
            options += [f"-c {setting}" for setting in SERVER_SETTINGS]
            try:
                pg_ctl = (self.programs.pg_ctl, "start", "-D", self.data, "-l", self.log)
                self._run(*pg_ctl, "-w", "-t", "60", "-o", " ".join(options))
                break
            except ClusterError:
                if attempt == 2:
                    raise
        self.seconds = time.monotonic() - began
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return self.url

    def stop(self) -> None:
        """Stop the server and remove the folder (the watchdog does both); idempotent."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        assert watchdog.stdin is not None
        watchdog.stdin.close()
        watchdog.wait(timeout=STOP_TIMEOUT + 20)


def _watch(pg_ctl: str, data: str, folder: str, user: str) -> None:
    """The watchdog: wait until the test process closes our stdin (or dies), then clean up."""
    sys.stdin.buffer.read()
    if Path(data, "postmaster.pid").exists():
        subprocess.run(
            [pg_ctl, "stop", "-D", data, "-m", "immediate", "-w", "-t", str(STOP_TIMEOUT)],
            cwd=folder,
            capture_output=True,
            timeout=STOP_TIMEOUT + 10,
            **_run_as(user or None),
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    _watch(*sys.argv[1:5])
