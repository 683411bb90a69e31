"""Deploy under faults, against the lab's FRR routers over real SSH: a one-sided change that
breaks an adjacency the intent never mentions, Ctrl-C in the middle of a run, a router frozen
mid-push, and a running config that was never saved.

Each test establishes the state it needs and leaves the routers it touched converged.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.audit.drift import audit_drift
from infra.deploy import EXIT_FAILED, EXIT_OK, EXIT_PENDING, DeployOptions, DeployReport, deploy
from infra.deploy.runstate import EXIT_INTERRUPTED
from infra.drivers import driver_for
from infra.drivers.configtree import same
from infra.drivers.targets import target_for
from infra.inventory import Inventory, load_inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.lab.netns import pids_in
from infra.lab.paths import netns_name
from infra.lab.router import management_config
from infra.lab.sh import ns_argv
from infra.render.intent import default_intent
from infra.state import StatePaths
from tests.conftest import INVENTORY, LAB_SECRETS, ROOT

pytestmark = pytest.mark.lab

INFRA = str(Path(sys.executable).parent / "infra")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> StatePaths:
    return StatePaths.from_env(tmp_path_factory.mktemp("fault-state"))


def run(inv: Inventory, state: StatePaths, limit: str, **opts: Any) -> DeployReport:
    intent = opts.pop("intent", default_intent)
    progress = opts.pop("progress", None)
    opts.setdefault("restore_window_s", 5.0)
    return deploy(inv, inv.select(limit), DeployOptions(**opts), state, intent=intent, progress=progress)


def converge(lab: Any, state: StatePaths, limit: str) -> None:
    report = run(lab.inv, state, limit, comment="converge for a fault test")
    bad = {h: r.message for h, r in report.results.results.items() if not r.ok}
    assert not bad, bad


def running_and_startup(inv: Inventory, host: str) -> tuple[str, str | None]:
    with driver_for("frr")(target_for(inv, inv.hosts[host])) as d:
        return d.get_running_config(), d.get_startup_config()


def ospf_full_with(node: str, router_id: str) -> bool:
    argv = [*ns_argv(node), "vtysh", "-c", "show ip ospf neighbor json"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
    entries = json.loads(out or "{}").get("neighbors", {}).get(router_id, [])
    return any(str(e.get("nbrState", "")).startswith("Full") for e in entries)


def router_id(inv: Inventory, host: str) -> str:
    loopback = inv.hosts[host].loopback
    assert loopback is not None
    return str(loopback.ip)


# ---- 1. a one-sided change ------------------------------------------------------------------


@pytest.fixture
def readdressed(tmp_path: Path) -> Inventory:
    """The example province with the dc-core-1--dc-fw-1 link moved to another /31."""
    copy = tmp_path / "inventory"
    shutil.copytree(INVENTORY, copy)
    topology = copy / "group_vars" / "all" / "topology.yml"
    text = topology.read_text()
    assert "subnet: 10.124.0.8/31" in text
    topology.write_text(text.replace("subnet: 10.124.0.8/31", "subnet: 10.124.0.250/31"))
    return load_inventory(copy)


def test_a_one_sided_readdressing_is_rolled_back(lab: Any, state: StatePaths, readdressed: Inventory) -> None:
    """Only dc-fw-1 gets the new subnet (`--limit dc-fw-1`): its adjacency with dc-core-1, up
    before the push, goes down on both ends. That is not 'applied and verified'."""
    converge(lab, state, "dc-core-1,dc-core-2,dc-fw-1")
    core1 = router_id(lab.inv, "dc-core-1")
    fw = router_id(lab.inv, "dc-fw-1")
    assert ospf_full_with("dc-fw-1", core1)
    report = run(readdressed, state, "dc-fw-1", converge_wait_s=15, comment="one-sided readdressing")
    r = report.results.results["dc-fw-1"]
    assert report.exit_code == EXIT_FAILED, r.message
    assert r.rolled_back, r.message
    assert "OSPF neighbour dc-core-1" in r.message and "up before the push" in r.message
    running, startup = running_and_startup(lab.inv, "dc-fw-1")
    assert same("frr", running, default_intent(lab.inv, lab.inv.hosts["dc-fw-1"]))
    assert startup is not None and same("frr", startup, running)  # the broken change was never saved
    deadline = time.monotonic() + 30  # OSPF needs a few hellos to come back after the restore
    while not (ospf_full_with("dc-fw-1", core1) and ospf_full_with("dc-core-1", fw)):
        assert time.monotonic() < deadline, "dc-core-1 and dc-fw-1 are not adjacent again"
        time.sleep(1)


# ---- 2. Ctrl-C in the middle of a run -------------------------------------------------------


def _bare(lab: Any, hosts: list[Host]) -> None:
    for h in hosts:
        with driver_for("frr")(target_for(lab.inv, h)) as d:
            d.load_candidate(management_config(lab.inv, lab.plan.nodes[h.name]))
            change = d.compare()
            if not change.empty:
                d.commit(change)
            d.save()


@pytest.fixture
def communes(lab: Any, state: StatePaths) -> Iterator[list[Host]]:
    hosts = lab.inv.select("cpe_communes")
    _bare(lab, hosts)
    yield hosts
    converge(lab, state, "cpe_communes")


def test_ctrl_c_mid_push_finishes_what_started_and_records_everything(
    lab: Any, communes: list[Host], tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    env = {**os.environ, "INFRA_INVENTORY": str(INVENTORY)}
    argv = [INFRA, "deploy", "-l", "cpe_communes", "-f", "2", "--progress", "--state-dir", str(state_dir)]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen: list[str] = []
    signals = 0
    for line in proc.stderr:
        seen.append(line)
        if signals == 0 and line.rstrip().endswith("push ..."):
            proc.send_signal(signal.SIGINT)  # the first device pushes: the operator presses Ctrl-C
            signals = 1
        elif signals == 1 and "starting no more devices" in line:
            # impatient, once the first was taken (two signals at once are delivered as one):
            # a second Ctrl-C must not kill a restore halfway
            proc.send_signal(signal.SIGINT)
            break
    else:
        pytest.fail("no device reached its push, or the signal was not taken:\n" + "".join(seen))
    out, err = proc.communicate(timeout=300)
    err = "".join(seen) + err
    assert proc.returncode == EXIT_INTERRUPTED, out + err
    assert "SIGINT: starting no more devices" in err and "SIGINT again:" in err
    assert "Traceback" not in err

    journal = Journal(state_dir / "journal.sqlite")
    (entry,) = journal.runs()
    assert entry.status == "interrupted" and entry.finished
    db = sqlite3.connect(state_dir / "journal.sqlite")
    rows = dict(db.execute("SELECT host, status FROM device_results WHERE run_id = ?", (entry.id,)))
    names = [h.name for h in communes]
    assert sorted(rows) == sorted(names)  # every device has its outcome
    done = [h for h, s in rows.items() if s == "changed"]
    assert done and len(done) < len(names), rows
    assert {s for h, s in rows.items() if h not in done} == {"skipped"}, rows
    for h in communes:  # each router is either fully deployed and saved, or untouched
        running, startup = running_and_startup(lab.inv, h.name)
        want = (
            default_intent(lab.inv, h)
            if h.name in done
            else management_config(lab.inv, lab.plan.nodes[h.name])
        )
        assert same("frr", running, want), h.name
        assert startup is not None and same("frr", startup, running), h.name
    log = subprocess.run(
        ["git", "-C", str(state_dir / "backups"), "log", "--format=%s"], capture_output=True, text=True
    ).stdout.splitlines()
    assert log[0] == f"run {entry.id}"  # backups committed
    history = subprocess.run(
        [INFRA, "history", "--state-dir", str(state_dir)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "interrupted" in history.stdout


# ---- 3. a router frozen mid-push, and unsaved changes ---------------------------------------

VICTIM = "cpe-xa-da-huoai"


def _signal_router(node: str, sig: int) -> None:
    for pid in pids_in(netns_name(node)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue


def _louder(inv: Inventory, h: Host) -> str:
    return default_intent(inv, h).replace("log syslog informational", "log syslog notifications")


def test_a_router_frozen_mid_push_needs_attention_and_the_next_deploy_reconciles(
    lab: Any, state: StatePaths
) -> None:
    inv = lab.inv
    converge(lab, state, VICTIM)

    def progress(host: str, step: str) -> None:
        if host == VICTIM and step == "push":
            _signal_router(VICTIM, signal.SIGSTOP)

    try:
        report = run(inv, state, VICTIM, intent=_louder, progress=progress, restore_window_s=3.0)
    finally:
        _signal_router(VICTIM, signal.SIGCONT)
    r = report.results.results[VICTIM]
    assert not r.ok and r.details.get("needs_attention"), r.message
    attention = Journal(state.journal).attention()
    assert attention and attention[0].host == VICTIM and attention[0].attention
    listed = subprocess.run(
        [INFRA, "history", "--attention", "--state-dir", str(state.root)],
        cwd=ROOT,
        env={**os.environ, "INFRA_INVENTORY": str(INVENTORY)},
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 1 and listed.stdout.splitlines()[1].startswith(VICTIM), listed.stdout
    # whatever the frozen router applied later, the next deploy of the same intent ends verified
    # and saved: running = intent = startup
    again = run(inv, state, VICTIM, intent=_louder)
    assert again.exit_code == EXIT_OK, again.results.results[VICTIM].message
    running, startup = running_and_startup(inv, VICTIM)
    assert same("frr", running, _louder(inv, inv.hosts[VICTIM]))
    assert startup is not None and same("frr", startup, running)
    assert VICTIM not in [e.host for e in Journal(state.journal).attention()]
    converge(lab, state, VICTIM)


def test_unsaved_changes_are_drift_and_the_next_deploy_saves_them(lab: Any, state: StatePaths) -> None:
    """The state a router frozen mid-push leaves once it thaws: the change is running, unsaved."""
    inv = lab.inv
    converge(lab, state, VICTIM)
    argv = [*ns_argv(VICTIM), "vtysh", "-c", "configure terminal", "-c", "log syslog notifications"]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    running, startup = running_and_startup(inv, VICTIM)
    assert "log syslog notifications" in running and startup and "log syslog notifications" not in startup

    check = run(inv, state, VICTIM, intent=_louder, check=True)
    r = check.results.results[VICTIM]
    assert check.exit_code == EXIT_PENDING and "unsaved changes" in r.message, r.message
    (drift,) = audit_drift(inv, inv.select(VICTIM), state, intent=_louder)
    assert drift.status == "fail" and drift.summary.startswith("unsaved changes"), drift.summary

    report = run(inv, state, VICTIM, intent=_louder)
    r = report.results.results[VICTIM]
    assert report.exit_code == EXIT_OK and "saved unsaved changes" in r.message, r.message
    running, startup = running_and_startup(inv, VICTIM)
    assert startup is not None and same("frr", startup, running)
    assert run(inv, state, VICTIM, intent=_louder, check=True).exit_code == EXIT_OK
    converge(lab, state, VICTIM)


def test_nothing_secret_was_stored(state: StatePaths) -> None:
    dump = subprocess.run(["sqlite3", str(state.journal), ".dump"], capture_output=True, text=True).stdout
    log = subprocess.run(
        ["git", "-C", str(state.backups), "log", "-p"], capture_output=True, text=True
    ).stdout
    assert dump and log
    for secret in LAB_SECRETS:
        assert secret not in dump and secret not in log
