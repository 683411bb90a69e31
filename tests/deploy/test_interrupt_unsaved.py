"""Faults around a deploy, with in-memory devices: an interrupt mid-push, a device whose running
config was never saved, and the journal's list of devices that need attention."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
from typing import Any

import pytest

from infra.deploy import DeployOptions, DeployReport, deploy
from infra.deploy.interrupt import interruptible, waiting_for
from infra.deploy.runstate import EXIT_INTERRUPTED, EXIT_PENDING
from infra.drivers.configtree import same
from infra.inventory import Inventory
from infra.journal import Journal
from infra.state import StatePaths
from tests.deploy.fakes import BARE, FakeNetwork, fake_intent


def _deploy(inv: Inventory, paths: StatePaths, net: FakeNetwork, limit: str, **kw: Any) -> DeployReport:
    stop = kw.pop("stop", None)
    progress = kw.pop("progress", None)
    opts = DeployOptions(
        converge_wait_s=0.2, restore_window_s=0.0, settle_s=0.0, command="infra deploy (test)", **kw
    )
    return deploy(
        inv,
        inv.select(limit),
        opts,
        paths,
        intent=fake_intent,
        factory=net.factory,
        stop=stop,
        progress=progress,
    )


def test_an_interrupt_mid_push_finishes_started_devices_and_starts_no_other(
    inv: Inventory, paths: StatePaths, net: FakeNetwork
) -> None:
    net.push_delay = 0.3
    stop = threading.Event()
    pushing: list[str] = []

    def progress(host: str, step: str) -> None:
        if step == "push":
            pushing.append(host)
            stop.set()  # the operator presses Ctrl-C while the first devices push

    report = _deploy(inv, paths, net, "cpe", forks=3, stop=stop, progress=progress)
    devices = [h.name for h in inv.select("cpe")]
    assert report.interrupted and report.exit_code == EXIT_INTERRUPTED
    statuses = {h: report.results.results[h].status.value for h in devices}
    assert set(statuses) == set(devices)  # every device has an outcome
    started = {h for h, s in statuses.items() if s == "changed"}
    assert started and started <= set(pushing)  # only devices already pushing went on
    assert len(started) < len(devices)
    for h in devices:
        config = net.configs.get(h, BARE)
        if h in started:  # verified, confirmed and saved: the whole intent
            assert same("frr", config, fake_intent(inv, inv.hosts[h])), h
            assert net.saves[h] == 1
        else:  # untouched: nothing half-applied
            assert statuses[h] == "skipped" and config == BARE and h not in net.pushes, h
            assert "interrupted" in report.results.results[h].message
    db = sqlite3.connect(paths.journal)
    (status,) = db.execute("SELECT status FROM runs WHERE id = ?", (report.run_id,)).fetchone()
    assert status == "interrupted"
    rows = dict(db.execute("SELECT host, status FROM device_results WHERE run_id = ?", (report.run_id,)))
    assert rows == statuses
    log = subprocess.run(
        ["git", "-C", str(paths.backups), "log", "--format=%s"], capture_output=True, text=True
    )
    assert log.stdout.splitlines()[0] == f"run {report.run_id}"  # backups committed


def test_a_signal_sets_stop_instead_of_killing_and_a_second_says_what_is_left(
    capfd: pytest.CaptureFixture[str],
) -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    with interruptible(stop, lambda: {"rollback": 2, "verify": 1}):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(5)
        os.kill(os.getpid(), signal.SIGTERM)
    err = capfd.readouterr().err
    assert "SIGINT: starting no more devices" in err
    assert "SIGTERM again: still restoring 2 devices, verifying 1 device" in err
    assert signal.getsignal(signal.SIGINT) is before  # put back


def test_waiting_for_says_when_nothing_is_mid_change() -> None:
    assert "no device is mid-change" in waiting_for({})


def test_unsaved_changes_are_pending_in_check_and_saved_by_a_deploy(
    inv: Inventory, paths: StatePaths, net: FakeNetwork
) -> None:
    _deploy(inv, paths, net, "dc-core-1")
    assert net.saves["dc-core-1"] == 1
    # the device applied a change later (frozen mid-push) and nobody saved it: running = intent
    net.startup["dc-core-1"] = BARE
    check = _deploy(inv, paths, net, "dc-core-1", check=True)
    r = check.results.results["dc-core-1"]
    assert check.exit_code == EXIT_PENDING and r.changed
    assert "unsaved changes" in r.message and r.details["unsaved"] > 0
    assert net.saves["dc-core-1"] == 1  # --check saved nothing
    report = _deploy(inv, paths, net, "dc-core-1")
    r = report.results.results["dc-core-1"]
    assert r.ok and r.changed and "saved unsaved changes" in r.message
    assert net.saves["dc-core-1"] == 2 and net.startup["dc-core-1"] == net.configs["dc-core-1"]
    again = _deploy(inv, paths, net, "dc-core-1", check=True)
    assert again.results.results["dc-core-1"].message == "no changes"


def test_a_device_whose_restore_failed_is_listed_first_for_attention(
    inv: Inventory, paths: StatePaths, net: FakeNetwork
) -> None:
    net.down.add("dc-sw-1")
    net.lost_after_push.add("dc-core-1")
    _deploy(inv, paths, net, "dc-core-1,dc-core-2,dc-sw-1")
    entries = Journal(paths.journal).attention()
    assert [(e.host, e.attention) for e in entries] == [("dc-core-1", True), ("dc-sw-1", False)]
    assert entries[0].message.startswith("NEEDS ATTENTION")


def test_drift_audit_reports_unsaved_changes(inv: Inventory, paths: StatePaths, net: FakeNetwork) -> None:
    from infra.audit.drift import audit_drift

    _deploy(inv, paths, net, "dc-core-1,dc-core-2")
    net.startup["dc-core-1"] = BARE  # running matches intent, but a reboot would lose it
    checks = {
        c.host: c
        for c in audit_drift(
            inv, inv.select("dc-core-1,dc-core-2"), paths, intent=fake_intent, factory=net.factory
        )
    }
    assert checks["dc-core-1"].status == "fail"
    assert checks["dc-core-1"].summary.startswith("unsaved changes: the startup config lacks")
    assert "+ hostname dc-core-1" in checks["dc-core-1"].detail
    assert checks["dc-core-2"].status == "pass" and "saved" in checks["dc-core-2"].summary
