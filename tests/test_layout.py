"""The repository's shape: layers, one version, the files every checkout needs."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import digest

REPO = Path(__file__).resolve().parent.parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file; relative ones are skipped."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _is_digest(module: str) -> bool:
    return module == "digest" or module.startswith("digest.")


def test_import_scan_sees_digest_imports() -> None:
    # The scan itself must work, or the layering test below proves nothing.
    modules = {
        name
        for _line, name in _imported_modules(REPO / "digest" / "store" / "migrations" / "env.py")
    }
    assert "digest.store.models" in modules
    assert "subscribers.db" in modules


def test_subscribers_never_imports_digest() -> None:
    files = sorted((REPO / "subscribers").rglob("*.py"))
    assert len(files) >= 3
    offending = [
        f"{path.relative_to(REPO)}:{line}: {module}"
        for path in files
        for line, module in _imported_modules(path)
        if _is_digest(module)
    ]
    assert offending == []


def test_importing_subscribers_loads_no_digest_module(tmp_path: Path) -> None:
    code = (
        "import subscribers.models, subscribers.db, sys; "
        "bad = sorted(m for m in sys.modules if m == 'digest' or m.startswith('digest.')); "
        "assert not bad, bad; print('clean')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "clean\n"), result.stderr


def test_version_is_defined_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[.-]?\w+)?", digest.__version__)
    assert digest.__version__ == importlib.metadata.version("digest")
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "digest/__init__.py"
    assignments = [
        str(path.relative_to(REPO))
        for folder in ("digest", "subscribers")
        for path in sorted((REPO / folder).rglob("*.py"))
        if re.search(r"^__version__\s*=", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert assignments == ["digest/__init__.py"]


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "config.toml",
        "digest/__init__.py",
        "digest/store/migrations/env.py",
        "digest/samples",
        "subscribers/__init__.py",
        "templates",
        "tests",
        "bench",
        ".ci/run",
    ],
)
def test_required_paths_exist(path: str) -> None:
    assert (REPO / path).exists(), f"{path} is missing from the checkout"
