"""Docs that cannot drift: every setting, command, exit code, connector and deployment is in the README."""

from pathlib import Path

import typer.main
import yaml

from livereview.cli.main import EXIT_CODES, app
from livereview.connectors.registry import CONNECTORS
from livereview.protocols.model import load_protocol
from livereview.settings import documented_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [name for name in documented_settings() if f"`{name}`" not in README]
    assert not missing, f"settings missing from README: {missing}"
    assert "`LIVEREVIEW_TEST_POSTGRES_URL`" in README


def test_every_command_is_documented():
    group = typer.main.get_command(app)
    names = list(group.commands)
    assert {"init", "import", "export", "run", "status", "serve", "config", "protocol"} <= set(names)
    missing = [n for n in names if f"`livereview {n}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_exit_codes_are_documented():
    for code in EXIT_CODES:
        assert f"`{code}`" in README


def test_every_connector_is_named():
    for name in CONNECTORS:
        assert name in README.lower()


def test_deployments_are_documented_and_follow_the_protocol_schedules():
    conf = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in conf["deployments"]}
    assert set(deployments) == {"weekly-monitor", "weekly-digest", "monthly-chase", "nightly-backup"}
    for name in deployments:
        assert f"`{name}`" in README
    proto = load_protocol(ROOT / deployments["weekly-monitor"]["parameters"]["protocol_path"])
    assert deployments["weekly-monitor"]["schedules"] == [{"cron": proto.monitor.cron,
                                                           "timezone": proto.monitor.timezone}]
    assert deployments["weekly-digest"]["schedules"] == [{"cron": proto.digest.cron, "timezone": proto.digest.timezone}]
    assert deployments["weekly-monitor"]["entrypoint"] == "flows/monitor.py:monitor"
    assert deployments["monthly-chase"]["schedules"] == [{"cron": proto.chase.cron, "timezone": proto.chase.timezone}]
    assert deployments["monthly-chase"]["entrypoint"] == "flows/chase.py:monthly_chase"
    assert deployments["nightly-backup"]["entrypoint"] == "flows/backup.py:nightly_backup"
