"""The layers import downward only: the ground floor (``livereview``: settings, errors) imports nothing of ours,
and nothing imports the CLI. A new package must be added to ``ALLOWED`` with the layers it may use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> the packages of ours it may import (data flows one way:
# protocol -> connectors -> records -> store (dedup) -> ranking -> digests / web; flows wire; cli sits on top)
ALLOWED: dict[str, set[str]] = {
    "livereview": set(),
    "records": {"livereview"},
    "protocols": {"livereview", "records"},
    "connectors": {"livereview", "records"},
    "dedup": {"livereview", "records"},
    "store": {"livereview", "records", "dedup", "protocols"},
    "ranking": {"livereview", "records", "protocols", "store"},
    "reports": {"livereview", "records", "protocols", "connectors", "store"},
    "digests": {"livereview", "records", "protocols", "store", "ranking", "reports"},
    "web": {"livereview", "records", "protocols", "store", "ranking", "digests", "dedup", "reports"},
    "flows": {"livereview", "records", "protocols", "connectors", "dedup", "store", "ranking", "digests", "reports"},
    "demo": {"livereview", "records", "protocols", "connectors", "dedup", "store", "ranking", "digests", "reports",
             "flows", "web"},
    "cli": {"livereview", "records", "protocols", "connectors", "dedup", "store", "ranking", "digests", "flows", "web",
            "reports", "demo"},
}
OURS = set(ALLOWED)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def _modules():
    for package in sorted(OURS):
        folder = ROOT / package
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                if "migrations" not in path.parts:
                    yield package, path


@pytest.mark.parametrize(("package", "path"), list(_modules()), ids=lambda v: str(v).replace(str(ROOT) + "/", ""))
def test_a_module_imports_only_the_layers_below_its_own(package: str, path: Path) -> None:
    wrong = _imports(path) - ALLOWED[package] - {package}
    assert not wrong, f"{path.relative_to(ROOT)} ({package}) imports {sorted(wrong)}"


def test_every_top_level_package_has_a_place_in_the_layers() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages <= OURS, f"add {sorted(packages - OURS)} to ALLOWED in tests/test_layers.py"


def test_nothing_imports_the_cli() -> None:
    assert all("cli" not in allowed for name, allowed in ALLOWED.items() if name != "cli")
