"""The house: module and function sizes, package docs, import cycles and the boundary contracts.

`lint-imports` checks the contracts in CI; these tests check the same shape from
inside the test suite, and what import-linter does not (sizes, docstrings, cycles
between modules anywhere, lazy imports included).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("digest", "subscribers")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(path for name in PACKAGES for path in (REPO / name).rglob("*.py"))


def test_the_sources_are_found() -> None:
    # Without this the size tests below could pass on an empty list.
    assert len(_sources()) > 50


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: split them by concern"


def _function_lengths(path: Path) -> Iterable[tuple[str, int]]:
    """(place, lines from the def line to the last) of every function and method in *path*."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            yield f"{path.name}:{node.lineno} {node.name}", node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_the_limit() -> None:
    long = {
        f"{path.parent.relative_to(REPO)}/{name}": length
        for path in _sources()
        for name, length in _function_lengths(path)
        if length > MAX_FUNCTION_LINES
    }
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines"


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    body = "".join(f"        x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    sample.write_text(f"class A:\n    @staticmethod\n    def long() -> None:\n{body}")
    assert dict(_function_lengths(sample)) == {"sample.py:3 long": MAX_FUNCTION_LINES + 1}


def test_every_package_says_what_it_owns() -> None:
    undocumented = []
    for init in sorted(p for name in PACKAGES for p in (REPO / name).rglob("__init__.py")):
        if "migrations" in init.parts:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if len(doc.split()) < 12 or "TODO" in doc:
            undocumented.append(str(init.relative_to(REPO)))
    assert undocumented == []


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _module_graph() -> dict[str, set[str]]:
    # grimp reads every import statement, those inside functions included.
    built = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    return {
        module: set(built.find_modules_directly_imported_by(module)) for module in built.modules
    }


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _module_graph()
    assert graph.get("digest.cli.main"), "the graph is empty"
    assert _cycles(graph) == []


def test_import_linter_contracts_cover_the_layers() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    kinds = {contract["type"] for contract in contracts}
    assert {"layers", "independence", "forbidden", "acyclic_siblings"} <= kinds
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert layers[0] == "digest.cli" and "digest.pipeline" in layers
    forbidden = {
        c["source_modules"][0]: set(c["forbidden_modules"])
        for c in contracts
        if c["type"] == "forbidden"
    }
    assert "digest" in forbidden["subscribers"]
    assert {"httpx", "starlette"} <= forbidden["digest.content"]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run(
        [lint, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_lint_imports_keeps_every_contract() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_lint_imports_fails_on_a_broken_boundary(tmp_path: Path) -> None:
    # The contracts are not decoration: in a copy of the tree, a content module that
    # imports httpx and a subscribers module that imports digest each break one.
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "digest" / "content" / "intruder.py").write_text("import httpx  # noqa: F401\n")
    (tmp_path / "subscribers" / "intruder.py").write_text("import digest.store  # noqa: F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "digest.content.intruder -> httpx" in result.stdout
    assert "subscribers.intruder -> digest.store" in result.stdout


def test_python_finds_this_checkout() -> None:
    import digest

    assert Path(digest.__file__).resolve().parent == REPO / "digest", sys.path
