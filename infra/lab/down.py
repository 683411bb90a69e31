"""`infra lab down`: remove everything of the lab, found by name prefix and the lab's own files
(not by the inventory, which may have changed since `up`): processes, namespaces, veths, OVS,
mounts, the management bridge (and the agency LANs' bridges, `lv` names like every root-side
link), the unreachable route and the run directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import infra.lab.ovs as ovs
from infra.lab.lock import exclusive, require_root
from infra.lab.netns import lab_namespaces, lab_root_links, ns_file_mounts, pids_in, root_links
from infra.lab.paths import MGMT_BRIDGE, RUN_DIR
from infra.lab.sh import ip_batch, run


@dataclass
class DownReport:
    namespaces: int = 0
    processes: int = 0
    links: int = 0
    mounts: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _kill(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _lab_pids(namespaces: list[str]) -> list[int]:
    pids: set[int] = set()
    for ns in namespaces:
        pids.update(pids_in(ns))
    pids.discard(os.getpid())
    return sorted(pids)


def _user_agents(pids: list[int]) -> list[int]:
    """The VC endpoints' baresip: on SIGTERM it deregisters and waits for the registrar's answer,
    which can take the whole grace period when the call controller has gone first. A torn-down lab
    needs no deregistration. Found by name among the lab's processes (not by the pid file, which
    the codec account can write)."""
    out = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "baresip":
                out.append(pid)
        except OSError:
            continue
    return out


def lab_down(lab_space: str | None = None) -> DownReport:
    require_root()
    t0 = time.monotonic()
    report = DownReport()
    with exclusive():
        namespaces = lab_namespaces()
        report.namespaces = len(namespaces)
        ovs.stop()
        pids = _lab_pids(namespaces)
        report.processes = len(pids)
        _kill(_user_agents(pids), signal.SIGKILL)
        _kill(pids, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = [p for p in pids if os.path.exists(f"/proc/{p}")]
        _kill(pids, signal.SIGKILL)
        report.problems += ip_batch([f"netns del {ns}" for ns in namespaces])
        links = lab_root_links()
        links += [MGMT_BRIDGE] if MGMT_BRIDGE in root_links() else []
        report.links = len(links)
        report.problems += ip_batch([f"link del {name}" for name in links])
        mounts = sorted(ns_file_mounts(), key=len, reverse=True)
        report.mounts = len(mounts)
        if mounts:  # one umount for all (deepest first): VC nodes add two namespace files each
            run(["umount", "-l", *mounts], check=False)
        if lab_space:
            run(["ip", "route", "del", "unreachable", lab_space], check=False)
        else:
            _del_unreachable_routes()
        shutil.rmtree(RUN_DIR, ignore_errors=True)
    report.seconds = time.monotonic() - t0
    return report


def _del_unreachable_routes() -> None:
    """Without an inventory: the lab's route is the unreachable route recorded at `up`."""
    marker = RUN_DIR / "lab_space"
    if marker.exists():
        run(["ip", "route", "del", "unreachable", marker.read_text().strip()], check=False)
