"""The layers import downward only: the ground floor (``livereview``'s own modules: settings, errors) imports
nothing of ours, and nothing imports the CLI. Everything of ours is imported under the one namespace,
``livereview.<package>``; a bare ``import store`` or ``from records import …`` is an error (it would pick up any
other distribution's ``store`` or ``records``). A new package must be added to ``ALLOWED`` with the layers it
may use."""

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
PACKAGES = OURS - {"livereview"}  # the folders installed as livereview.<name>


def _names(path: Path) -> list[str]:
    """Every absolute module name the file imports (``from livereview import store`` names ``livereview.store``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "livereview":  # from livereview import store, __version__
                names.extend(f"livereview.{alias.name}" for alias in node.names)
            else:
                names.append(node.module)
    return names


def _layers(path: Path) -> set[str]:
    """The layers of ours a file imports: ``livereview.store.db`` is the store layer, ``livereview.settings`` the
    ground floor."""
    found: set[str] = set()
    for name in _names(path):
        parts = name.split(".")
        if parts[0] != "livereview":
            continue
        found.add(parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "livereview")
    return found


def _bare(path: Path) -> list[str]:
    return [name for name in _names(path) if name.split(".")[0] in PACKAGES]


def _modules(folders=None):
    for package in sorted(folders or OURS):
        folder = ROOT / package
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                yield package, path


def _ids(value: object) -> str:
    return str(value).replace(str(ROOT) + "/", "")


@pytest.mark.parametrize(("package", "path"), [(p, f) for p, f in _modules() if "migrations" not in f.parts],
                         ids=_ids)
def test_a_module_imports_only_the_layers_below_its_own(package: str, path: Path) -> None:
    wrong = _layers(path) - ALLOWED[package] - {package}
    assert not wrong, f"{path.relative_to(ROOT)} ({package}) imports {sorted(wrong)}"


def _every_python_file():
    for folder in (*sorted(OURS), "tests", "benchmarks"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_nothing_imports_our_packages_by_their_bare_names() -> None:
    offenders = {str(path.relative_to(ROOT)): bare for path in _every_python_file() if (bare := _bare(path))}
    assert not offenders, f"import these as livereview.<package>: {offenders}"


def test_the_bare_name_check_sees_each_import_form(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import store\nimport records.model as m\nfrom web.app import x\nfrom dedup import y\n"
                     "from livereview import flows\nfrom livereview.store import db\n")
    assert _bare(probe) == ["store", "records.model", "web.app", "dedup"]
    assert _layers(probe) == {"flows", "store"}


def test_every_top_level_package_has_a_place_in_the_layers() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages <= OURS, f"add {sorted(packages - OURS)} to ALLOWED in tests/test_layers.py"


def test_nothing_imports_the_cli() -> None:
    assert all("cli" not in allowed for name, allowed in ALLOWED.items() if name != "cli")
