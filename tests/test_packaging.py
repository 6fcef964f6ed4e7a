"""What the wheel installs: one top-level package, ``livereview``, holding every folder of ours that has an
``__init__.py`` (as ``livereview.<folder>``) and the package data the code reads through importlib.resources."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _folders_with_init() -> set[str]:
    """Every package folder of ours, named as it is installed."""
    found = set()
    for init in ROOT.glob("*/**/__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts[0] in {"tests", "benchmarks", ".venv", "build"} or rel.parts[0].endswith(".egg-info"):
            continue
        name = ".".join(rel.parts)
        found.add(name if rel.parts[0] == "livereview" else f"livereview.{name}")
    return found


def test_the_package_list_names_every_folder_with_an_init_and_nothing_else() -> None:
    assert set(CONFIG["packages"]) == _folders_with_init()


def test_each_package_maps_to_its_folder() -> None:
    for name in CONFIG["packages"]:
        if name == "livereview":
            continue
        top = name.split(".")[1]
        assert CONFIG["package-dir"][f"livereview.{top}"] == top
        folder = ROOT / Path(*name.split(".")[1:])
        assert (folder / "__init__.py").is_file(), name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Built from a copy of the source tree, so the build leaves no build/ or egg-info folder in the checkout."""
    source = tmp_path_factory.mktemp("source") / "livereview"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "tests",
                                                                 "benchmarks", "__pycache__", "*.db*"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                           "--quiet", "--wheel-dir", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return zipfile.ZipFile(next(out.glob("livereview-*.whl")))


def test_the_wheel_installs_livereview_alone(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"livereview"}


def test_the_wheel_lists_every_package_and_its_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    packages = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("/__init__.py")}
    assert packages == _folders_with_init()
    for data in ("livereview/protocols/ia-coaching.toml", "livereview/protocols/ia-coaching-included.csv",
                 "livereview/protocols/ia-coaching-extraction.csv",
                 "livereview/cli/prefect_logging.yml", "livereview/digests/templates/digest.html.j2",
                 "livereview/web/static/app.css", "livereview/store/migrations/env.py"):
        assert data in names
    migrations = {p.name for p in (ROOT / "store" / "migrations" / "versions").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if "/migrations/versions/" in n} == migrations
    templates = {p.name for p in (ROOT / "web" / "templates").rglob("*.html")}
    assert templates <= {n.rsplit("/", 1)[1] for n in names if n.startswith("livereview/web/templates/")}
