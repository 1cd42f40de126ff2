"""``subscribers`` as a part of the application: its import boundary, and ``digest serve``.

``subscribers`` is the lowest layer: it never imports ``digest`` (whatever it
needs from outside is handed to it), checked here in the source and at run
time.  ``digest serve`` runs its pages on ``[web] host`` and ``port``.
"""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

import subscribers
from tests.conftest import ConfigWriter
from tests.test_subscribers_web import free_port

PACKAGE = Path(subscribers.__file__).resolve().parent


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file; relative ones as ``.name`` / ``..name``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_no_module_of_subscribers_imports_digest_in_its_source() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "web.py" in files and PACKAGE / "service.py" in files
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}"
        for path in files
        for line, module in _imports(path)
        # "digest" itself, or a relative import that climbs out of the package
        if module.split(".")[0] == "digest" or module.startswith("..")
    ]
    assert offending == []


def test_importing_every_module_of_subscribers_loads_nothing_of_digest() -> None:
    modules = sorted(
        info.name for info in pkgutil.walk_packages(subscribers.__path__, "subscribers.")
    )
    assert {"subscribers.service", "subscribers.web", "subscribers.csvio"} <= set(modules)
    program = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'digest')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_digest_serve_listens_on_the_web_host_and_port_of_the_config(
    make_config: ConfigWriter, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(extra=f'[web]\nhost = "127.0.0.1"\nport = {port}\n')
    env = {**os.environ, "DIGEST_SECRET_KEY": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config.path), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "digest serve did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200 and "Subscribe to Test Digest" in answer.text
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/subscribe" in out
    assert "Traceback" not in err
