"""`infra backup` against the lab's real FRR routers (and codecs) over SSH: the whole lab in one
commit, a change made by hand with vtysh shows as changed outside infra, a frozen router is
unreachable (exit 1) while the others are committed, and no secret lands anywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.backup.pull import backup_targets
from infra.journal import Journal
from infra.lab.netns import pids_in
from infra.lab.paths import netns_name
from infra.state import StatePaths
from infra.state.backups import BackupRepo
from tests.backup.conftest import on_log_server, remote_path
from tests.conftest import INVENTORY, LAB_SECRETS, ROOT
from tests.lab.helpers import vtysh

pytestmark = pytest.mark.lab

INFRA = str(Path(sys.executable).parent / "infra")
BY_HAND = "cpe-xa-lac-duong"
FROZEN = "cpe-xa-don-duong"
BY_HAND_LINE = "ip prefix-list BACKUP-BY-HAND seq 5 permit 10.255.255.0/24"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, log_server: Any) -> StatePaths:
    """This module's state; its backups are pushed to the lab's off-site copy (log_server)."""
    return StatePaths.from_env(tmp_path_factory.mktemp("backup-state"))


@pytest.fixture(scope="module")
def outputs() -> list[str]:
    return []  # everything the commands printed, for the secrets check


def infra(state: StatePaths, outputs: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [INFRA, *args],
        cwd=ROOT,
        env={**os.environ, "INFRA_INVENTORY": str(INVENTORY), "INFRA_STATE_DIR": str(state.root)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    outputs.append(proc.stdout + proc.stderr)
    return proc


@pytest.fixture
def hand_change(lab: Any) -> Iterator[None]:
    vtysh(BY_HAND, "configure terminal", BY_HAND_LINE)
    try:
        yield
    finally:
        vtysh(BY_HAND, "configure terminal", "no ip prefix-list BACKUP-BY-HAND")


def _signal(node: str, sig: int) -> None:
    for pid in pids_in(netns_name(node)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue


def test_the_whole_lab_is_backed_up_in_one_commit(lab: Any, state: StatePaths, outputs: list[str]) -> None:
    devices = {h.name for h in backup_targets(lab.inv, lab.inv.select(None))}
    r = infra(state, outputs, "backup", "--comment", "lab test: first backup")
    assert r.returncode == 0, r.stdout + r.stderr
    repo = BackupRepo(state.backups)
    commits = repo.log("wan-hub-1")
    assert len(commits) == 1 and set(commits[0].hosts) == devices
    run_id = Journal(state.journal).runs(1)[0].id
    assert commits[0].subject.startswith(f"backup run {run_id}: {len(devices)} changed")
    assert "hostname wan-hub-1" in (repo.latest("wan-hub-1") or "")
    assert repo.latest("wan-hub-1", startup=True) is not None  # FRR keeps a startup config
    # the off-site copy on the log server (over SSH, git-shell account) has the same history
    remote = on_log_server(f"git --git-dir={remote_path(lab.inv)} rev-parse refs/heads/main")
    assert remote.stdout.strip() == commits[0].id, remote.stdout + remote.stderr
    # nothing changed since: no new commit, exit 0
    again = infra(state, outputs, "backup", "-l", "network")
    assert again.returncode == 0 and "nothing changed, no commit" in again.stdout, again.stdout
    assert len(repo.log("wan-hub-1")) == 1
    log = infra(state, outputs, "backup", "log", "wan-hub-1")
    assert log.returncode == 0 and commits[0].id[:12] in log.stdout


def test_a_vtysh_change_shows_as_changed_outside_infra(
    lab: Any, state: StatePaths, outputs: list[str], hand_change: None
) -> None:
    if not BackupRepo(state.backups).latest(BY_HAND):
        assert infra(state, outputs, "backup", "-l", BY_HAND).returncode == 0
    r = infra(state, outputs, "backup", "-l", BY_HAND)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"changed outside infra: {BY_HAND}" in r.stdout
    history = infra(state, outputs, "history")
    assert f"changed outside infra: {BY_HAND}" in history.stdout, history.stdout
    mine = infra(state, outputs, "history", BY_HAND)
    assert "changed outside infra" in mine.stdout
    diff = infra(state, outputs, "backup", "diff", BY_HAND)
    assert f"+{BY_HAND_LINE}" in diff.stdout, diff.stdout


def test_an_unreachable_router_fails_the_run_and_the_others_are_committed(
    lab: Any, state: StatePaths, outputs: list[str]
) -> None:
    repo = BackupRepo(state.backups)
    # a base to differ from
    assert infra(state, outputs, "backup", "-l", f"{FROZEN},{BY_HAND}").returncode == 0
    vtysh(BY_HAND, "configure terminal", BY_HAND_LINE)
    _signal(FROZEN, signal.SIGSTOP)
    try:
        r = infra(state, outputs, "backup", "-l", f"{FROZEN},{BY_HAND}", "--format", "json")
    finally:
        _signal(FROZEN, signal.SIGCONT)
        vtysh(BY_HAND, "configure terminal", "no ip prefix-list BACKUP-BY-HAND")
    assert r.returncode == 1, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["unreachable"] == [FROZEN] and report["changed"] == [BY_HAND]
    assert report["commit"] and repo.log(BY_HAND)[0].id == report["commit"]
    assert repo.log(BY_HAND)[0].hosts == (BY_HAND,)
    run = Journal(state.journal).runs(1)[0]
    assert run.status == "failed" and run.counts["unreachable"] == 1


def test_no_secret_in_the_repository_journal_or_output(
    lab: Any, state: StatePaths, outputs: list[str]
) -> None:
    assert outputs, "run the other tests of this module first"
    found = list(outputs)
    git = ["git", "-C", str(state.backups), "log", "-p", "--all"]
    found.append(subprocess.run(git, capture_output=True, text=True, check=True).stdout)
    found.append(state.journal.read_bytes().decode("utf-8", "replace"))
    found += [p.read_text(errors="replace") for p in state.backups.rglob("*.cfg")]
    for secret in LAB_SECRETS:
        assert not any(secret in text for text in found), secret
