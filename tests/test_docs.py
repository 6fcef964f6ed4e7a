"""Docs that cannot drift: the README is a short front page that links to docs/; every setting is in
docs/configuration.md, every command and exit code in docs/cli.md, every connector and deployment in the docs, and
every relative link of the README and the docs pages resolves (anchors included)."""

import re
from pathlib import Path

import typer.main
import yaml

from livereview.cli.main import EXIT_CODES, app
from livereview.connectors.registry import CONNECTORS
from livereview.protocols.model import load_protocol
from livereview.settings import documented_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}
ALL_DOCS = README + "\n".join(DOCS.values())
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", markdown, flags=re.M)}


def test_the_readme_is_a_short_front_page_with_the_two_quick_start_commands():
    assert len(README.splitlines()) <= 80
    assert "make run" in README and "make test" in README


def test_every_docs_page_is_linked_from_the_readme():
    missing = [name for name in DOCS if f"(docs/{name})" not in README]
    assert not missing, f"docs pages the README does not link: {missing}"


def test_every_relative_link_resolves():
    broken = []
    for where, text, base in [("README.md", README, ROOT)] + [(f"docs/{n}", t, ROOT / "docs") for n, t in DOCS.items()]:
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (base / path).resolve() if path else (ROOT / where)
            if not file.exists():
                broken.append(f"{where}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
                broken.append(f"{where}: {target} (no such heading)")
    assert not broken, broken


def test_every_setting_is_documented():
    page = DOCS["configuration.md"]
    missing = [name for name in documented_settings() if f"`{name}`" not in page]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
    assert "`LIVEREVIEW_TEST_POSTGRES_URL`" in page


def test_every_command_is_documented():
    group = typer.main.get_command(app)
    names = list(group.commands)
    assert {"init", "import", "export", "run", "status", "serve", "config", "protocol"} <= set(names)
    missing = [n for n in names if f"`livereview {n}" not in DOCS["cli.md"]]
    assert not missing, f"commands missing from docs/cli.md: {missing}"


def test_exit_codes_are_documented():
    for code in EXIT_CODES:
        assert f"`{code}`" in DOCS["cli.md"]


def test_every_connector_is_named():
    for name in CONNECTORS:
        assert name in ALL_DOCS.lower()


def test_deployments_are_documented_and_follow_the_protocol_schedules():
    conf = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in conf["deployments"]}
    assert set(deployments) == {"weekly-monitor", "weekly-digest", "monthly-chase", "nightly-backup"}
    for name in deployments:
        assert f"`{name}`" in DOCS["operations.md"]
    proto = load_protocol(ROOT / deployments["weekly-monitor"]["parameters"]["protocol_path"])
    assert deployments["weekly-monitor"]["schedules"] == [{"cron": proto.monitor.cron,
                                                           "timezone": proto.monitor.timezone}]
    assert deployments["weekly-digest"]["schedules"] == [{"cron": proto.digest.cron, "timezone": proto.digest.timezone}]
    assert deployments["weekly-monitor"]["entrypoint"] == "flows/monitor.py:monitor"
    assert deployments["monthly-chase"]["schedules"] == [{"cron": proto.chase.cron, "timezone": proto.chase.timezone}]
    assert deployments["monthly-chase"]["entrypoint"] == "flows/chase.py:monthly_chase"
    assert deployments["nightly-backup"]["entrypoint"] == "flows/backup.py:nightly_backup"


def test_the_layout_table_names_every_folder_of_the_code():
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")} | {"benchmarks", "docs", "tests"}
    missing = [f for f in sorted(folders) if f"`{f}/`" not in DOCS["architecture.md"]]
    assert not missing, f"folders missing from docs/architecture.md: {missing}"
