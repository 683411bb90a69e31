"""Serve a modified copy of a facility device's recording, e.g. a UPS "on battery" for an alert
test: `infra lab snmprec ups-dc-1 --set 1.3.6.1.4.1.318.1.1.1.4.1.1.0=2:3`."""

from __future__ import annotations

import os
import signal
import time

from infra.inventory import Inventory
from infra.lab.files import write
from infra.lab.lock import exclusive, require_root
from infra.lab.netns import lab_namespaces
from infra.lab.paths import node_dir
from infra.lab.plan import FACILITY, Node, build_plan
from infra.lab.sh import LabError, ns_argv, run
from infra.lab.snmpnode import read_records, recording_path, snmpd_argv, write_snmp_node_files

TAGS = {"2", "4", "4x", "6", "64", "65", "66", "67", "70"}


def parse_change(text: str) -> tuple[str, str, str]:
    oid, sep, rest = text.partition("=")
    tag, sep2, value = rest.partition(":")
    oid = oid.strip().strip(".")
    if not sep or not sep2 or not oid.replace(".", "").isdigit() or tag not in TAGS:
        raise LabError(
            f"--set {text!r}: write OID=TAG:VALUE, e.g. 1.3.6.1.4.1.318.1.1.1.4.1.1.0=2:3 "
            f"(TAG one of {', '.join(sorted(TAGS))})"
        )
    return oid, tag, value


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def apply_changes(records: list[tuple[str, str, str]], changes: list[str]) -> list[tuple[str, str, str]]:
    by_oid = {oid: (oid, tag, value) for oid, tag, value in records}
    for text in changes:
        oid, tag, value = parse_change(text)
        by_oid[oid] = (oid, tag, value)
    return sorted(by_oid.values(), key=lambda r: _oid_key(r[0]))


def serve_modified_recording(inv: Inventory, node_name: str, changes: list[str], reset: bool = False) -> int:
    require_root()
    plan = build_plan(inv, node_name)
    node = plan.nodes.get(node_name)
    if node is None or node.kind != FACILITY:
        raise LabError(f"{node_name}: not a facility device (UPS, PDU, sensor) of the inventory")
    if node.netns not in lab_namespaces():
        raise LabError(f"{node_name} is not running in the lab (run `infra lab up`)")
    d = node_dir(node_name)
    base = recording_path(inv, node) if reset else d / "served.snmprec"
    records = apply_changes(read_records(base), changes)
    staged = d / "staged.snmprec"
    write(staged, "".join(f"{o}|{t}|{v}\n" for o, t, v in records), 0o644)
    with exclusive():
        extra = write_snmp_node_files(inv, node, recording=staged)
        _restart_snmpd(node, extra)
    staged.unlink()
    return len(records)


def _restart_snmpd(node: Node, extra: dict[str, str]) -> None:
    pidfile = node_dir(node.name) / "snmpd.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.05)
    except (OSError, ValueError):
        pass
    argv, env = snmpd_argv(node, extra)
    run([*ns_argv(node.name, mount=False), *argv], env=env)
