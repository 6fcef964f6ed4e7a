"""No import cycle between our modules: a cycle means two modules each need the other to be loaded first, which
is how ``cli/main`` and ``cli/reports`` used to lean on each other. The graph counts every import, the ones inside
functions too (a lazy import only postpones a cycle, it does not remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("livereview", "records", "protocols", "connectors", "dedup", "store", "ranking", "reports", "digests",
            "web", "flows", "demo", "cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts if parts[0] == "livereview" else ["livereview", *parts])


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts}


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (``from livereview.store import db`` is ``livereview.store.db``;
    a name that is not a module, ``from livereview.store.db import reading``, is its module)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found.update(t for t in map(resolve, targets) if t and t != name)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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


def test_our_modules_import_each_other_without_a_cycle() -> None:
    modules = _modules()
    assert "livereview.cli.main" in modules and "livereview.settings" in modules
    assert not cycles(import_graph(modules)), "import cycles between our modules"


def test_the_cycle_check_finds_a_cycle_however_the_modules_import(tmp_path: Path) -> None:
    files = {"livereview.a": "from livereview.b import x\n",
             "livereview.b": "def f():\n    from livereview import c\n",
             "livereview.c": "import livereview.a\n",
             "livereview.d": "from livereview.a import y\n"}
    modules = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        modules[name] = path
    graph = import_graph(modules)
    assert graph["livereview.b"] == {"livereview.c"} and graph["livereview.d"] == {"livereview.a"}
    assert cycles(graph) == [["livereview.a", "livereview.b", "livereview.c"]]
    del graph["livereview.c"]
    graph["livereview.b"] = set()
    assert cycles(graph) == []
