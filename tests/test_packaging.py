"""The wheel: what it contains, and that an installed copy works away from the checkout."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path
from site import getsitepackages

import pytest

import digest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_FILES = sorted(
    path.relative_to(REPO).as_posix()
    for path in (REPO / "digest" / "samples").rglob("*")
    if path.is_file() and "__pycache__" not in path.parts
)


def _clean_env() -> dict[str, str]:
    """The environment without anything that could point Python back at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "DIGEST_CONFIG", "FORCE_COLOR"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def _run(
    command: list[str], *, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)]
    built = _run([*pip_wheel[:5], "--no-build-isolation", *pip_wheel[5:]], cwd=out)
    if built.returncode != 0:  # hatchling missing here: let pip fetch it into an isolated env
        built = _run(pip_wheel, cwd=out, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("digest-*.whl")
    return path


def test_wheel_contents(wheel: Path) -> None:
    assert wheel.name == f"digest-{digest.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"digest-{digest.__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"digest-{digest.__version__}.dist-info/entry_points.txt")
        shipped_config = archive.read("digest/config.toml").decode("utf-8")
    for required in (
        "digest/__init__.py",
        "digest/cli/main.py",
        "digest/templates/README.md",
        "digest/config.toml",
        "digest/store/migrations/env.py",
        "digest/store/migrations/script.py.mako",
        "digest/store/migrations/versions/0001_initial.py",
        "subscribers/__init__.py",
        "subscribers/db.py",
        "subscribers/models.py",
    ):
        assert required in names, required
    assert len([name for name in SAMPLE_FILES if not name.endswith("README.md")]) == 12
    assert set(SAMPLE_FILES) <= names
    assert any(name.startswith("digest/samples/world/") for name in names)
    # every template and migration of the checkout ships
    for folder, prefix in (("templates", "digest/templates/"), ("digest/store/migrations", None)):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                relative = path.relative_to(REPO / folder).as_posix()
                assert (prefix or folder + "/") + relative in names, path
    assert shipped_config == (REPO / "config.toml").read_text(encoding="utf-8")
    assert not any("__pycache__" in name or name.startswith("tests/") for name in names)
    assert f"Version: {digest.__version__}\n" in metadata
    assert b"digest = digest.cli.main:main" in entry_points


def test_installed_wheel_works_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # The running interpreter's site-packages provide the dependencies (whether the tests run
    # from a virtualenv or the system Python); digest itself comes from the wheel. A .pth line
    # only appends a path, so the checkout's editable-install hook is not picked up.
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    new_site = _run([str(python), "-c", purelib], cwd=tmp_path).stdout.strip()
    Path(new_site, "dependencies.pth").write_text("\n".join(getsitepackages()) + "\n")
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            str(wheel),
        ],
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    work = tmp_path / "work"
    work.mkdir()
    where = _run(
        [
            str(python),
            "-c",
            "import json, digest, subscribers, digest.resources as r; "
            "print(json.dumps([digest.__file__, subscribers.__file__, str(r.templates_dir()), "
            "str(r.default_config())]))",
        ],
        cwd=work,
    )
    assert where.returncode == 0, where.stderr
    site = env_dir.resolve()
    for path in json.loads(where.stdout):
        assert Path(path).resolve().is_relative_to(site), path  # not the checkout's copy

    program = str(env_dir / "bin" / "digest")
    made = _run([program, "init", "site"], cwd=work)
    assert made.returncode == 0, made.stderr
    assert (work / "site" / "templates").is_dir()
    assert len(list((work / "site" / "samples" / "science").iterdir())) == 4
    fetched = _run(
        [program, "--config", "site/config.toml", "fetch", "--source", "Sample science news"],
        cwd=work,
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "Traceback" not in fetched.stderr
    assert "4 new and 0 updated article(s); 1 of 1 source(s) ok" in fetched.stdout
    assert (work / "site" / "digest.db").is_file()  # migrations ran from the installed package
    listed = _run([program, "--config", "site/config.toml", "articles", "--json"], cwd=work)
    assert listed.returncode == 0, listed.stderr
    articles = json.loads(listed.stdout)
    assert len(articles) == 4
    assert {(a["source"], a["section"]) for a in articles} == {("Sample science news", "Science")}


# -- dependencies ------------------------------------------------------------------------

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    """The canonical distribution name of a requirement line ("Jinja2>=3.1" -> "jinja2")."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _imported_top_level_names() -> dict[str, str]:
    """Every non-stdlib top-level module that digest/ and subscribers/ import, lazily or not,
    with the first file that does."""
    found: dict[str, str] = {}
    for folder in ("digest", "subscribers"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in (
                        "__future__",
                        "digest",
                        "subscribers",
                    ):
                        found.setdefault(top, str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_a_declared_dependency() -> None:
    declared = {_name(requirement) for requirement in PROJECT["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    imported = _imported_top_level_names()
    assert {"sqlalchemy", "starlette", "jinja2", "markupsafe"} <= set(imported)  # the scan works
    undeclared = {
        module: (path, providers.get(module))
        for module, path in imported.items()
        if not {_name(dist) for dist in providers.get(module, [])} & declared
    }
    assert undeclared == {}, "imported but not in [project] dependencies: (file, distributions)"


def test_postgresql_is_an_extra_that_the_test_extra_pulls_in() -> None:
    extras = PROJECT["optional-dependencies"]
    assert "psycopg" not in {_name(requirement) for requirement in PROJECT["dependencies"]}
    assert [_name(requirement) for requirement in extras["postgres"]] == ["psycopg"]
    assert "psycopg[binary]" in extras["postgres"][0]
    assert "digest[postgres]" in extras["test"]
    # the test extra installs every program .ci/run calls after the tests
    for tool in ("pytest", "pytest-cov", "import-linter", "ruff", "mypy"):
        assert tool in {_name(requirement) for requirement in extras["test"]}, tool


def _without_psycopg(tmp_path: Path, url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter where importing psycopg fails, as if not installed."""
    (tmp_path / "config.toml").write_text(
        f'[newsletter]\ntitle = "T"\nsender = "T <t@example.org>"\n[storage]\nurl = "{url}"\n'
        '[[sections]]\nname = "News"\n',
        encoding="utf-8",
    )
    program = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from digest.cli.main import main\n"
        f"sys.exit(main(['--config', 'config.toml', *{list(argv)!r}]))\n"
    )
    return _run([sys.executable, "-c", program], cwd=tmp_path)


def test_a_postgresql_url_without_psycopg_is_one_clear_error(tmp_path: Path) -> None:
    done = _without_psycopg(
        tmp_path, "postgresql://digest:hunter2pw@127.0.0.1:5432/digest", "articles"
    )
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        "error: postgresql://digest:***@127.0.0.1:5432/digest: "
        "PostgreSQL needs the psycopg driver: pip install 'digest[postgres]'\n"
    )


def test_sqlite_needs_no_postgresql_driver(tmp_path: Path) -> None:
    done = _without_psycopg(tmp_path, "sqlite:///digest.db", "articles", "--json")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "[]", "")
    assert (tmp_path / "digest.db").is_file()
