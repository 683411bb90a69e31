"""`infra backup`'s run against the in-memory FRR-like devices (tests/deploy/fakes.py): one
commit per run naming the changed devices, the journal, changed outside infra, unreachable
devices, the off-site push, the servers, a device a deploy holds, and no secret anywhere."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from click.testing import CliRunner

from infra.backup.pull import (
    OFFSITE_HOST,
    BackupOptions,
    BackupReport,
    back_up,
    backup_targets,
    is_backup_command,
)
from infra.cli import backup_cmd, cli
from infra.deploy import DeployOptions, deploy
from infra.deploy import interrupt as deploy_interrupt
from infra.deploy.lock import device_lock
from infra.drivers.base import DeviceTarget, Driver
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.results import Result, RunResult
from infra.state import StatePaths
from infra.state.backups import BackupRepo
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.deploy.fakes import FakeNetwork, fake_intent
from tests.safety.routes import LAB_UP, fake_routes

Run = Callable[..., BackupReport]


@pytest.fixture
def pushed() -> list[str]:
    return []


@pytest.fixture
def run(inv: Inventory, paths: StatePaths, net: FakeNetwork, pushed: list[str]) -> Run:
    def offsite(inv: Inventory, repo: BackupRepo) -> str | None:
        pushed.append(repo.path.name)
        return None

    def go(limit: str | None = "network", **kw: Any) -> BackupReport:
        kw.setdefault("offsite", offsite)
        options = kw.pop("options", BackupOptions(command="infra backup (test)"))
        return back_up(inv, inv.select(limit), paths, options, factory=net.factory, **kw)

    return go


def deploy_to(inv: Inventory, paths: StatePaths, net: FakeNetwork, limit: str) -> None:
    opts = DeployOptions(
        converge_wait_s=0.2, restore_window_s=0.0, settle_s=0.0, command="infra deploy (test)"
    )
    report = deploy(inv, inv.select(limit), opts, paths, intent=fake_intent, factory=net.factory)
    assert not report.results.failed, report.as_dict()


def git(paths: StatePaths, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(paths.backups), *args], capture_output=True, text=True, check=True
    ).stdout


def journal_rows(paths: StatePaths, run_id: str) -> dict[str, tuple[str, int, str]]:
    db = sqlite3.connect(paths.journal)
    try:
        rows = db.execute(
            "SELECT host, status, changed, message FROM device_results WHERE run_id = ?", (run_id,)
        )
        return {h: (s, c, m) for h, s, c, m in rows}
    finally:
        db.close()


def test_first_run_commits_every_device_once_and_a_second_run_commits_nothing(
    run: Run, paths: StatePaths, inv: Inventory, pushed: list[str]
) -> None:
    devices = [h.name for h in inv.select("network")]
    first = run()
    assert first.exit_code == 0 and first.commit is not None
    assert sorted(first.changed) == sorted(devices)
    subject = git(paths, "log", "-1", "--format=%s")
    assert subject.startswith(f"backup run {first.run_id}: {len(devices)} changed: ")
    assert subject.strip().endswith(f"and {len(devices) - 8} more")
    assert git(paths, "rev-list", "--count", "HEAD").strip() == "1"
    repo = BackupRepo(paths.backups)
    for name in devices:
        assert repo.latest(name) and repo.latest(name, startup=True)
    rows = journal_rows(paths, first.run_id)
    assert set(rows) == set(devices)
    assert all(r == ("changed", 1, "first backup") for r in rows.values())
    run_row = Journal(paths.journal).runs(1)[0]
    assert (run_row.command, run_row.status, run_row.backup_commit) == (
        "infra backup (test)",
        "ok",
        first.commit,
    )

    second = run()
    assert second.exit_code == 0 and second.commit is None and second.changed == []
    assert git(paths, "rev-list", "--count", "HEAD").strip() == "1"
    assert all(r == ("ok", 0, "unchanged") for r in journal_rows(paths, second.run_id).values())
    assert pushed == ["backups", "backups"]  # pushed off-site after each run, commit or not


def test_a_change_made_on_the_device_is_changed_outside_infra(
    run: Run, paths: StatePaths, net: FakeNetwork
) -> None:
    run()
    net.configs["dc-core-1"] = net.config("dc-core-1").replace(
        "hostname bare", "hostname bare\nbanner by hand"
    )
    report = run(options=BackupOptions(command="infra backup (test)", comment="nightly"))
    assert report.changed == ["dc-core-1"] and report.outside == ["dc-core-1"]
    message = git(paths, "log", "-1", "--format=%B")
    assert message.startswith(f"backup run {report.run_id}: 1 changed: dc-core-1\n")
    assert "nightly" in message and "dc-core-1: changed outside infra" in message
    status, changed, text = journal_rows(paths, report.run_id)["dc-core-1"]
    assert (status, changed) == ("changed", 1) and text.startswith("changed outside infra")
    assert "+banner by hand" in report.results.results["dc-core-1"].diff
    files = git(paths, "show", "--name-only", "--format=", "HEAD").split()
    assert files == ["dc-core-1.cfg", "startup/dc-core-1.cfg"]  # the fake saves what it runs

    r = CliRunner().invoke(cli, ["history", "--state-dir", str(paths.root)])
    assert r.exit_code == 0 and "changed outside infra: dc-core-1" in r.output
    r = CliRunner().invoke(cli, ["history", "dc-core-1", "--state-dir", str(paths.root)])
    assert "changed outside infra" in r.output


def test_a_change_pushed_by_infra_is_not_outside(
    run: Run, paths: StatePaths, net: FakeNetwork, inv: Inventory
) -> None:
    run()
    deploy_to(inv, paths, net, "dc-core-1")  # the deploy commits its own backup
    report = run()
    assert report.outside == []
    assert "dc-core-1" not in report.changed or "outside" not in report.results.results["dc-core-1"].message
    # a deploy that has changed the device but not committed yet (the run still going): the
    # journal has its result, so the change is the deploy's, not someone's by hand
    journal = Journal(paths.journal)
    journal.start_run("d-running", "infra deploy -l dc-core-2")
    journal.record_device("d-running", Result("dc-core-2", changed=True, message="deployed"))
    net.configs["dc-core-2"] = net.config("dc-core-2") + "banner from the deploy\n"
    report = run()
    assert report.outside == [] and report.changed == ["dc-core-2"]
    assert (
        report.results.results["dc-core-2"].message == "changed by run d-running (infra deploy -l dc-core-2)"
    )


def test_unreachable_devices_fail_the_run_and_the_others_are_committed(
    run: Run, paths: StatePaths, net: FakeNetwork
) -> None:
    net.down.add("cpe-xa-lac-duong")
    report = run()
    assert report.exit_code == 1 and report.status == "failed"
    assert report.as_dict()["unreachable"] == ["cpe-xa-lac-duong"]
    assert "cpe-xa-lac-duong" not in report.changed and "dc-core-1" in report.changed
    assert BackupRepo(paths.backups).latest("cpe-xa-lac-duong") is None
    assert BackupRepo(paths.backups).latest("dc-core-1")
    assert "not read (their last backup stays): cpe-xa-lac-duong" in git(paths, "log", "-1", "--format=%B")
    assert journal_rows(paths, report.run_id)["cpe-xa-lac-duong"][0] == "unreachable"
    assert Journal(paths.journal).runs(1)[0].status == "failed"


def test_a_failed_offsite_push_fails_the_run_and_keeps_the_commit(run: Run, paths: StatePaths) -> None:
    report = run(offsite=lambda inv, repo: "push to srv-log-1:/srv/backup.git failed: Connection refused")
    assert report.exit_code == 1 and report.commit is not None
    assert git(paths, "rev-parse", "HEAD").strip() == report.commit
    status, _, message = journal_rows(paths, report.run_id)[OFFSITE_HOST]
    assert status == "failed" and "Connection refused" in message


def test_servers_are_backed_up_with_servers_and_join_the_run(run: Run, paths: StatePaths) -> None:
    seen: list[list[str]] = []

    def servers(inv: Inventory, hosts: Sequence[Host], p: StatePaths) -> RunResult:
        seen.append([h.name for h in hosts])
        rr = RunResult()
        rr.add(Result(hosts[0].name, changed=True, message="snapshot 1a2b3c4d"))
        rr.add(Result(hosts[1].name, failed=True, message="restic: repository locked"))
        return rr

    without = run("dc-core-1,srv-mail-1,srv-portal-1", servers=servers)
    assert seen == [] and set(without.results.results) == {"dc-core-1"}
    report = run(
        "dc-core-1,srv-mail-1,srv-portal-1",
        servers=servers,
        options=BackupOptions(command="infra backup --servers (test)", servers=True),
    )
    assert seen == [["srv-mail-1", "srv-portal-1"]]
    assert report.exit_code == 1
    rows = journal_rows(paths, report.run_id)
    assert rows["srv-mail-1"][0] == "changed" and rows["srv-portal-1"][0] == "failed"

    def broken(inv: Inventory, hosts: Sequence[Host], p: StatePaths) -> RunResult:
        raise NotImplementedError("not built yet")

    report = run("srv-mail-1", servers=broken, options=BackupOptions(command="x", servers=True))
    assert (
        report.results.results["srv-mail-1"].message
        == "server backup not run: NotImplementedError: not built yet"
    )


def test_a_device_a_deploy_holds_is_skipped_not_read_half_way(run: Run, paths: StatePaths) -> None:
    with device_lock(paths.locks, "dc-core-1", "deploy"):
        report = run("dc-core-1,dc-core-2")
    r = report.results.results["dc-core-1"]
    assert r.skipped and "locked by another run (deploy by" in r.message and report.exit_code == 0
    assert report.changed == ["dc-core-2"]


def test_no_secret_in_backups_commits_journal_or_output(
    run: Run, paths: StatePaths, net: FakeNetwork, inv: Inventory
) -> None:
    deploy_to(inv, paths, net, "dc-core-1,wan-hub-1")  # configs now hold the OSPF key and BGP password
    net.configs["dc-core-1"] += f"banner {LAB_SECRETS[0]}\n"
    report = run(
        options=BackupOptions(command=f"infra backup --comment {LAB_SECRETS[1]}", comment=LAB_SECRETS[1])
    )
    assert report.changed
    assert "<secret>" in BackupRepo(paths.backups).latest("dc-core-1")  # type: ignore[operator]
    found = [
        git(paths, "log", "-p", "--all", "--format=%B"),
        paths.journal.read_bytes().decode("utf-8", "replace"),
        str(report.as_dict()),
    ]
    found += [p.read_text() for p in paths.backups.rglob("*.cfg")]
    r = CliRunner().invoke(cli, ["backup", "diff", "dc-core-1", "--state-dir", str(paths.root)])
    found.append(r.output)
    for secret in LAB_SECRETS:
        assert not any(secret in text for text in found), secret


def test_log_diff_show_read_the_history(run: Run, paths: StatePaths, net: FakeNetwork) -> None:
    first = run()
    net.configs["dc-core-1"] = net.config("dc-core-1") + "banner second\n"
    second = run()
    state = ["--state-dir", str(paths.root)]

    def infra(*args: str) -> Any:
        return CliRunner().invoke(cli, ["backup", *args, *state])

    r = infra("log", "dc-core-1")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["WHEN", "COMMIT", "DEVICES", "SUBJECT"]
    assert second.commit and first.commit
    assert second.commit[:12] in lines[1] and first.commit[:12] in lines[2] and len(lines) == 3
    r = infra("diff", "dc-core-1")
    assert r.exit_code == 0 and "+banner second" in r.output
    r = infra("diff", "dc-core-1", first.commit[:8], second.commit[:8])
    assert "+banner second" in r.output
    assert infra("diff", "dc-core-1", "HEAD").output.strip() == "(no difference)"
    r = infra("show", "dc-core-1")
    assert r.exit_code == 0 and r.output.endswith("banner second\n")
    r = infra("show", "dc-core-1", "--at", first.commit)
    assert "banner second" not in r.output and "hostname bare" in r.output
    assert "hostname bare" in infra("show", "dc-core-1", "--startup").output
    # bad input: exit 2, one line naming it
    for args, said in [
        (("show", "dc-core-1", "--at", "nosuchrev"), "'nosuchrev' is neither a revision nor a date"),
        (("show", "dc-core-1", "--at", "2001-01-01"), "no backup at or before '2001-01-01'"),
        (("show", "nosuch-host"), "nosuch-host has no backup at 'HEAD'"),
        (("diff", "dc-core-1", "a", "b", "c"), "at most two revisions"),
        (("log", "nosuch-host"), "nosuch-host has no backup in"),
    ]:
        r = infra(*args)
        assert r.exit_code == 2 and said in r.output and "Traceback" not in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1


def test_backup_commands_are_told_apart_from_those_that_push() -> None:
    assert is_backup_command("infra backup -l cpe") and is_backup_command("infra -i inv backup")
    assert not is_backup_command("infra backup restore dc-core-1 --at HEAD~1")
    assert not is_backup_command("infra deploy -l backup")


def test_an_interrupt_starts_no_more_devices_and_commits_what_was_read(
    inv: Inventory, paths: StatePaths, net: FakeNetwork
) -> None:
    devices = [h.name for h in backup_targets(inv, inv.select("network,servers"))]
    stop = threading.Event()

    def factory(target: DeviceTarget) -> Driver:
        if target.host == devices[0]:
            stop.set()  # the signal arrives while the first device is being read
        return net.factory(target)

    def servers(*_: object) -> RunResult:
        raise AssertionError("the servers' data was started after the interrupt")

    options = BackupOptions(forks=1, command="infra backup (test)", servers=True)
    report = back_up(
        inv,
        inv.select("network,servers"),
        paths,
        options,
        factory=factory,
        offsite=lambda i, r: None,
        servers=servers,
        stop=stop,
    )
    assert report.interrupted and report.exit_code == 130 and report.status == "interrupted"
    assert report.changed == [devices[0]]
    repo = BackupRepo(paths.backups)
    assert repo.latest(devices[0]) and repo.latest(devices[1]) is None
    rows = journal_rows(paths, report.run_id)
    assert rows[devices[1]][0] == "skipped" and "interrupted" in rows[devices[1]][2]
    assert rows["srv-portal-1"][0] == "skipped" and "interrupted" in rows["srv-portal-1"][2]
    assert Journal(paths.journal).runs(1)[0].status == "interrupted"


def test_ctrl_c_during_infra_backup_exits_130_and_the_journal_says_interrupted(
    paths: StatePaths, net: FakeNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught: list[threading.Event] = []

    def interruptible(stop: threading.Event, unsafe: Callable[[], dict[str, int]]) -> Any:
        caught.append(stop)
        return deploy_interrupt.interruptible(stop, unsafe)

    def factory(target: DeviceTarget) -> Driver:
        if not caught[0].is_set():
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the first device is read
            assert caught[0].wait(30), "the CLI's handler did not take the signal"
        return net.factory(target)

    real = backup_cmd.back_up

    def with_fakes(*args: Any, **kwargs: Any) -> BackupReport:
        return real(*args, factory=factory, offsite=lambda i, r: None, **kwargs)

    fake_routes(monkeypatch, *LAB_UP)  # the fake devices stand in for an up lab
    monkeypatch.setattr(backup_cmd, "interruptible", interruptible)
    monkeypatch.setattr(backup_cmd, "back_up", with_fakes)
    argv = ["-i", str(INVENTORY), "backup", "-l", "network", "--forks", "1", "--state-dir", str(paths.root)]
    before = signal.getsignal(signal.SIGINT)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 130, result.output
    assert "interrupted:" in result.output and "not started" in result.output
    run = Journal(paths.journal).runs(1)[0]
    assert run.status == "interrupted" and run.counts.get("skipped", 0) > 0
    assert signal.getsignal(signal.SIGINT) is before  # the handlers are put back
