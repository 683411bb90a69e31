"""`infra backup restore` against a real FRR router of the lab (Netmiko over SSH into vtysh).

Deploy a change (an extra access list and another description on an OSPF interface, so the
restore's verification reads and demands the router's adjacencies), then restore the backup
taken before it: `--check` shows the diff and changes nothing, the restore runs through
deploy and is verified, the running config equals the backup (its masked secrets filled back
in), a wrong REV or DATE is exit 2 naming it, and no secret shows anywhere.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infra.cli import cli
from infra.deploy import EXIT_OK, DeployOptions, deploy
from infra.drivers import driver_for
from infra.drivers.configtree import same
from infra.drivers.targets import target_for
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.render.intent import default_intent
from infra.state import StatePaths
from infra.state.backups import BackupRepo
from tests.conftest import INVENTORY, LAB_SECRETS

pytestmark = pytest.mark.lab

HOST = "dc-core-1"  # OSPF to six neighbours, a message-digest key on each link
ACL = "access-list infra-restore-test seq 5 deny 192.0.2.0/24"
DESCRIPTION = " description p2p to dc-core-2 GigabitEthernet0/0/1"


def changed(inv: Inventory, host: Host) -> str:
    text = default_intent(inv, host)
    assert DESCRIPTION in text
    text = text.replace(DESCRIPTION, " description restore test: changed on purpose")
    return text.replace(
        "access-list vty-mgmt seq 10 deny any\n", f"access-list vty-mgmt seq 10 deny any\n{ACL}\n"
    )


def running(inv: Inventory) -> str:
    with driver_for("frr")(target_for(inv, inv.hosts[HOST])) as d:
        return d.get_running_config()


def invoke(state: Path, *args: str) -> Any:
    return CliRunner().invoke(
        cli,
        ["-i", str(INVENTORY), "backup", "restore", *args, "--state-dir", str(state)],
        catch_exceptions=False,
    )


@pytest.fixture
def state(converged_lab: Any, tmp_path: Path) -> Iterator[StatePaths]:
    paths = StatePaths.from_env(tmp_path / "state")
    yield paths
    # whatever happened, the router goes back to its intent for the tests after this one
    options = DeployOptions(command="infra deploy (restore test cleanup)", restore_window_s=5.0)
    deploy(
        converged_lab.inv, [converged_lab.inv.hosts[HOST]], options, StatePaths.from_env(tmp_path / "cleanup")
    )


def test_restore_the_previous_revision_on_a_real_router(converged_lab: Any, state: StatePaths) -> None:
    inv = converged_lab.inv
    host = inv.hosts[HOST]
    first = deploy(inv, [host], DeployOptions(command="infra deploy (test)", restore_window_s=5.0), state)
    assert first.exit_code == EXIT_OK, first.as_dict()
    repo = BackupRepo(state.backups)
    good = repo.resolve("HEAD")  # the router as its intent has it
    backup = repo.at(HOST, good)
    assert "<secret>" in backup and not any(s in backup for s in LAB_SECRETS)
    second = deploy(
        inv, [host], DeployOptions(command="infra deploy (test)", restore_window_s=5.0), state, intent=changed
    )
    assert second.exit_code == EXIT_OK, second.as_dict()
    before = running(inv)
    assert ACL in before
    outputs: list[str] = []

    # --check: the diff, exit 3, nothing touched
    r = invoke(state.root, HOST, "--at", good, "--check", "--diff")
    outputs.append(r.output)
    assert r.exit_code == 3, r.output
    assert f"- {ACL}" in r.output and f"no {ACL}" in r.output
    assert running(inv) == before
    assert repo.resolve("HEAD") != good and Journal(state.journal).runs(1)[0].status == "check"

    # wrong REV / DATE: exit 2 naming it, nothing touched
    for ref, message in [
        ("no-such-rev", "--at: 'no-such-rev' is neither a revision nor a date of the backup repository"),
        ("2001-01-01", "--at: no backup at or before '2001-01-01'"),
    ]:
        r = invoke(state.root, HOST, "--at", ref)
        outputs.append(r.output)
        assert r.exit_code == 2 and message in r.output, r.output
    assert running(inv) == before

    # the restore: through deploy, verified (adjacencies read and demanded back), journaled
    r = invoke(state.root, HOST, "--at", good, "--comment", "restore test", "--format", "json")
    outputs.append(r.output)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    result = doc["hosts"][0]
    assert doc["status"] == "ok" and result["status"] == "changed"
    assert "applied and verified" in result["message"]
    assert doc["restore"]["commit"] == good and doc["restore"]["secret_lines"] >= 6
    after = running(inv)
    assert ACL not in after
    assert same("frr", inv.secrets.mask(after), backup)  # the running config is the backup
    assert same("frr", after, default_intent(inv, host))  # secrets and all: the intent's keys are back
    assert BackupRepo(state.backups).latest(HOST) is not None
    assert same("frr", BackupRepo(state.backups).latest(HOST) or "", backup)
    run = Journal(state.journal).runs(1)[0]
    assert run.command == f"infra backup restore {HOST} --at {good}" and run.status == "ok"

    # secrets: not in anything the commands printed, the journal or the backup history
    history = subprocess.run(
        ["git", "-C", str(state.backups), "log", "-p"], capture_output=True, text=True, check=True
    ).stdout
    for text in [*outputs, history, state.journal.read_bytes().decode("utf-8", "replace")]:
        assert not any(s in text for s in LAB_SECRETS)
