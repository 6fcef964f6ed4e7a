"""pyproject.toml declares exactly what is imported: every import of ours comes from a declared distribution, and
every declared distribution is imported (mapped with ``importlib.metadata.packages_distributions``)."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: the folders of ours (each installed as livereview.<folder>) and the namespace itself
FOLDERS = {"livereview", *(folder for folder in PYPROJECT["tool"]["setuptools"]["package-dir"].values())}
OURS = {"livereview"}

# declared but used without an import statement in our code: distribution -> why
NOT_IMPORTED = {
    "psycopg": "PostgreSQL driver SQLAlchemy loads from a postgresql+psycopg:// URL",
    "pytest-timeout": "pytest plugin (the timeout setting in pyproject)",
    "python-multipart": "Starlette's form parser imports it for the web app's export upload (web/security.py)",
    "pytest-xdist": "pytest plugin (`make test` runs the suite on two workers)",
    "ruff": "linter, run by `make lint`",
    "setuptools": "build backend: tests/test_packaging.py builds the wheel with --no-build-isolation",
    "wheel": "build backend's wheel writer, for the same offline build",
}
# declared for code being written in parallel (allowed to be unused until it lands)
PENDING = {"scikit-learn": "ranking/"}


def _normalise(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def _declared(requirements: list[str]) -> set[str]:
    return {_normalise(re.match(r"[A-Za-z0-9._-]+", r).group(0)) for r in requirements}


def _imports(folders: list[Path]) -> dict[str, set[str]]:
    """Top-level module imported -> files importing it (absolute imports only, ours and the stdlib left out)."""
    local = {p.stem for f in folders for p in f.glob("*.py")}  # sibling modules on sys.path (support, benchmarks)
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            if ".venv" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in OURS or top in local or top == "__future__":
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def _module_distributions() -> dict[str, list[str]]:
    return packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_normalise(d) for d in _module_distributions().get(module, [])}


def _check(folders: list[Path], declared: set[str]) -> tuple[dict[str, list[str]], set[str]]:
    undeclared: dict[str, list[str]] = {}
    used: set[str] = set()
    for module, files in sorted(_imports(folders).items()):
        dists = _distributions(module)
        if dists & declared:
            used |= dists & declared
        else:
            undeclared[module] = sorted(files)
    return undeclared, used


def test_every_import_of_our_packages_is_a_declared_dependency_and_every_dependency_is_imported():
    declared = _declared(PYPROJECT["project"]["dependencies"])
    folders = [ROOT / p for p in sorted(FOLDERS) if (ROOT / p).is_dir()]
    undeclared, used = _check(folders, declared)
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"
    unused = declared - used - {_normalise(d) for d in NOT_IMPORTED} - {_normalise(d) for d in PENDING}
    assert not unused, f"declared in [project] dependencies but never imported: {sorted(unused)}"


def test_every_import_of_the_tests_and_benchmarks_is_declared_and_every_dev_tool_is_used():
    runtime = _declared(PYPROJECT["project"]["dependencies"])
    dev = _declared(PYPROJECT["project"]["optional-dependencies"]["dev"])
    undeclared, used = _check([ROOT / "tests", ROOT / "tests" / "support", ROOT / "benchmarks"], runtime | dev)
    assert not undeclared, f"imported by tests/benchmarks but not declared (dev extra): {undeclared}"
    unused = dev - used - runtime - {_normalise(d) for d in NOT_IMPORTED}
    assert not unused, f"declared in the dev extra but never imported: {sorted(unused)}"


def test_the_import_scan_sees_lazy_imports_inside_functions():
    assert "cronsim" in _imports([ROOT / "protocols"])
