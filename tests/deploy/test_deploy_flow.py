"""The deploy orchestration end to end against in-memory devices (no root, no lab)."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from collections.abc import Callable

import pytest

from infra.deploy import EXIT_FAILED, EXIT_OK, EXIT_PENDING, DeployReport
from infra.deploy.lock import DeviceBusy, device_lock
from infra.drivers.configtree import same
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.state import StatePaths
from tests.deploy.fakes import BARE, FakeNetwork, fake_intent

Run = Callable[..., DeployReport]


def test_converges_then_changes_nothing(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    first = run()
    devices = [h.name for h in inv.select("network") if h.is_network_device]
    assert first.exit_code == EXIT_OK, first.as_dict()
    assert sorted(first.results.changed_hosts) == sorted(devices)
    for name in devices:
        assert same("frr", net.configs[name], fake_intent(inv, inv.hosts[name])), name
        assert net.saves[name] == 1
    second = run()
    assert second.exit_code == EXIT_OK
    assert second.results.changed_hosts == []
    assert all(r.message == "no changes" for r in second.results.results.values())
    assert sum(len(p) for p in net.pushes.values()) == len(devices)  # nothing pushed the second time


def test_check_touches_nothing_and_exits_3(run: Run, net: FakeNetwork, paths: StatePaths) -> None:
    report = run("dc-core-1,wan-hub-1", check=True, diff=True)
    assert report.exit_code == EXIT_PENDING
    assert net.pushes == {} and net.saves == {}
    r = report.results.results["dc-core-1"]
    assert r.changed and "+ hostname dc-core-1" in r.diff
    assert "hostname dc-core-1" in [x.strip() for x in r.details["remediation"]]
    assert not (paths.backups / "dc-core-1.cfg").exists()


def test_only_the_remediation_is_pushed(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    run("dc-core-1")
    net.configs["dc-core-1"] = net.configs["dc-core-1"].replace("hostname dc-core-1", "hostname by-hand")
    report = run("dc-core-1")
    assert report.results.results["dc-core-1"].changed
    assert [x.strip() for x in net.pushes["dc-core-1"][-1]] == ["hostname dc-core-1"]


def test_failed_verification_restores_the_backup(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    run("dc-core-1,dc-core-2")
    before = net.configs["dc-core-1"]

    def breaking(i: Inventory, h: Host) -> str:
        text = fake_intent(i, h)
        return text + "ip route 10.66.0.0/16 BREAK-OSPF\n" if h.name == "dc-core-1" else text

    report = run("dc-core-1,dc-core-2", intent=breaking)
    r = report.results.results["dc-core-1"]
    assert report.exit_code == EXIT_FAILED
    assert r.rolled_back and not r.changed
    assert "OSPF neighbour" in r.message and "restored the backup" in r.message
    assert same("frr", net.configs["dc-core-1"], before)
    assert net.saves["dc-core-1"] == 1  # the broken config was never saved
    assert report.results.results["dc-core-2"].ok


def test_unreachable_device_does_not_stop_the_others(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    net.down.add("cpe-so-noi-vu")
    report = run("cpe")
    assert report.results.results["cpe-so-noi-vu"].unreachable
    others = [r for h, r in report.results.results.items() if h != "cpe-so-noi-vu"]
    assert others and all(r.ok and r.changed for r in others)
    assert report.exit_code == EXIT_FAILED


def test_device_lost_after_push_needs_attention(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    net.lost_after_push.add("dc-core-1")
    report = run("dc-core-1,dc-core-2")
    r = report.results.results["dc-core-1"]
    assert r.failed and r.details.get("needs_attention")
    assert r.message.startswith("NEEDS ATTENTION")
    assert report.results.results["dc-core-2"].ok


def test_max_fail_percentage_stops_later_batches(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    cpes = [h.name for h in inv.select("cpe")]
    net.down.update(cpes[:2])
    report = run("cpe", serial="2", max_fail_percentage=60, forks=2)
    statuses = [report.results.results[h].status.value for h in cpes]
    assert statuses[:2] == ["unreachable", "unreachable"]
    assert set(statuses[2:]) == {"skipped"}
    assert report.stopped and "--max-fail-percentage" in report.stopped


def test_without_max_fail_percentage_all_batches_run(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    cpes = [h.name for h in inv.select("cpe")]
    net.down.update(cpes[:2])
    report = run("cpe", serial="25%")
    assert [report.results.results[h].ok for h in cpes[2:]] == [True] * (len(cpes) - 2)


def test_revert_timer_expiry_restores(run: Run, net: FakeNetwork, inv: Inventory) -> None:
    run("dc-core-1")
    before = net.configs["dc-core-1"]

    def renamed(i: Inventory, h: Host) -> str:
        return fake_intent(i, h).replace(f"hostname {h.name}", "hostname renamed")

    # verification takes longer than the revert timer allows
    import infra.deploy.device as device

    real = device._verify

    def slow_verify(*a, **k):  # type: ignore[no-untyped-def]
        threading.Event().wait(0.3)
        return real(*a, **k)

    device._verify = slow_verify  # type: ignore[assignment]
    try:
        report = run("dc-core-1", intent=renamed, confirm_timeout_s=0.05)
    finally:
        device._verify = real  # type: ignore[assignment]
    r = report.results.results["dc-core-1"]
    assert r.rolled_back and "revert timer (0.05s) expired" in r.message
    assert same("frr", net.configs["dc-core-1"], before)


def test_second_deploy_to_a_locked_device_is_refused(run: Run, paths: StatePaths) -> None:
    with device_lock(paths.locks, "dc-core-1"):
        with (
            pytest.raises(DeviceBusy, match="dc-core-1 is locked by another run"),
            device_lock(paths.locks, "dc-core-1"),
        ):
            pass
        report = run("dc-core-1,dc-core-2")
    r = report.results.results["dc-core-1"]
    assert r.failed and "locked by another run (deploy by" in r.message
    assert report.results.results["dc-core-2"].ok
    assert run("dc-core-1").results.results["dc-core-1"].ok  # released


def test_lock_is_released_when_holder_dies(paths: StatePaths) -> None:
    code = (
        "import sys,time; from pathlib import Path; from infra.deploy.lock import device_lock\n"
        f"with device_lock(Path({str(paths.locks)!r}), 'r1'): print('held', flush=True); time.sleep(30)"
    )
    import sys

    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(DeviceBusy), device_lock(paths.locks, "r1"):
            pass
    finally:
        proc.kill()
        proc.wait()
    with device_lock(paths.locks, "r1"):
        pass


def test_journal_and_backups_record_the_run(run: Run, net: FakeNetwork, paths: StatePaths) -> None:
    net.down.add("dc-core-2")
    report = run("dc-core-1,dc-core-2", comment="first converge")
    db = sqlite3.connect(paths.journal)
    (status, comment, commit) = db.execute("SELECT status, comment, backup_commit FROM runs").fetchone()
    assert (status, comment, commit) == ("failed", "first converge", report.backup_commit)
    rows = dict(db.execute("SELECT host, status FROM device_results").fetchall())
    assert rows == {"dc-core-1": "changed", "dc-core-2": "unreachable"}
    log = subprocess.run(
        ["git", "-C", str(paths.backups), "log", "--format=%s"], capture_output=True, text=True
    ).stdout.splitlines()
    assert log[0] == f"run {report.run_id}: first converge"
    assert "hostname dc-core-1" in (paths.backups / "dc-core-1.cfg").read_text()
    assert not (paths.backups / "dc-core-2.cfg").exists()
    entries = Journal(paths.journal).device_history("dc-core-1")
    assert entries[0].comment == "first converge" and "+ hostname dc-core-1" in entries[0].diff


def test_hand_changes_are_committed_before_the_run(run: Run, net: FakeNetwork, paths: StatePaths) -> None:
    run("dc-core-1")
    net.configs["dc-core-1"] += "\nip route 10.99.0.0/16 blackhole\n"
    report = run("dc-core-1")
    log = subprocess.run(
        ["git", "-C", str(paths.backups), "log", "--format=%s"], capture_output=True, text=True
    ).stdout.splitlines()
    assert log[:2] == [f"run {report.run_id}", f"before run {report.run_id}"]
    assert "10.99.0.0/16" not in (paths.backups / "dc-core-1.cfg").read_text()


def test_bare_device_fixture_is_bare() -> None:
    assert "router ospf" not in BARE
