"""`infra lab down` leaves nothing behind. Runs after every other test of the session (marker
`lab_teardown`); if the lab was up before the session, it is brought back up afterwards."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infra.lab import lab_down, lab_up
from infra.lab.netns import lab_namespaces, lab_root_links, root_links
from infra.lab.paths import MGMT_BRIDGE, OVS_DIR, RUN_DIR
from tests.fixtures_lab import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.lab_teardown]


def _netns_inodes() -> set[int]:
    return {os.stat(f"/run/netns/{ns}").st_ino for ns in lab_namespaces()}


def _processes_in(inodes: set[int]) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.stat(proc / "ns/net").st_ino in inodes:
                found.append(f"{proc.name} {(proc / 'cmdline').read_bytes()[:80]!r}")
        except OSError:
            continue
    return found


def test_down_leaves_nothing_behind(lab: LabHandle) -> None:
    inodes = _netns_inodes()
    assert len(inodes) == len(lab.plan.nodes)
    ovs_pids = [int((OVS_DIR / f"{d}.pid").read_text()) for d in ("ovsdb-server", "ovs-vswitchd")]
    assert _processes_in(inodes), "the lab runs no process: nothing to prove"

    report = lab_down()

    assert report.namespaces == len(lab.plan.nodes)
    assert lab_namespaces() == []
    assert _processes_in(inodes) == []
    assert not any(os.path.exists(f"/proc/{pid}") for pid in ovs_pids)
    assert lab_root_links() == [] and MGMT_BRIDGE not in root_links()
    assert "infra-lab" not in Path("/proc/self/mountinfo").read_text()
    routes = subprocess.run(["ip", "route", "show", "type", "unreachable"], capture_output=True, text=True)
    assert str(lab.inv.pools.lab_space) not in routes.stdout
    assert not RUN_DIR.exists()

    if lab.was_up:  # someone else's lab: put it back as we found it (management configuration)
        lab_up(lab.inv, wait=120)
