"""Back up every router of a lab province: infra backup vs Oxidized-style sequential pulls.

Side by side in one run, alternating (A B, A B, ...), on the lab's FRR routers over SSH:

- infra backup: the whole run (running + startup config per device, forks 25, under the device
  locks, masked, compared, one git commit, journal), through `infra.backup.pull.back_up`;
- sequential: what Oxidized does per node, one SSH session each in a loop: paramiko connect,
  `show running-config` (sshd runs the login shell vtysh with -c), read it, close.

Two provinces: the example province (its lab: routers, switches, firewall and the video codecs;
goal: infra backup of all of it under 10 s) and a synthetic province with the largest router
count the lab runs here (50 routers, as bench/deploy_bench.py builds it). Prints medians of wall
time and per-device time with the ratio sequential ÷ infra. Needs root; holds the lab's test
lock. The example province's lab is used as it is if up (brought up otherwise); the synthetic
one needs the lab down: `--take-down` takes the example lab down for it and brings it back up.

    sudo .venv/bin/python bench/backup_bench.py [--rounds 3] [--provinces example,synthetic]
        [--take-down]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))

import paramiko  # noqa: E402

from infra.backup.pull import BackupOptions, back_up, backup_targets  # noqa: E402
from infra.inventory import Inventory, load_inventory  # noqa: E402
from infra.inventory.generate import Shape, generate  # noqa: E402
from infra.inventory.models import Host  # noqa: E402
from infra.lab import lab_down, lab_up  # noqa: E402
from infra.lab.netns import lab_namespaces  # noqa: E402
from infra.lab.paths import TEST_LOCK_FILE  # noqa: E402
from infra.state import StatePaths  # noqa: E402

FORKS = 25
GOAL_S = 10.0


def pull_one(host: Host, username: str, password: str) -> float:
    """Oxidized's shape: one SSH session for one node, the config read, the session closed."""
    t0 = time.monotonic()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        str(host.mgmt_address), username=username, password=password, look_for_keys=False,
        allow_agent=False, timeout=20,
    )  # fmt: skip
    try:
        _, out, _ = client.exec_command("show running-config", timeout=30)
        text = out.read().decode(errors="replace")
        if "hostname" not in text:
            raise RuntimeError(f"{host.name}: no config read: {text[-200:]!r}")
    finally:
        client.close()
    return time.monotonic() - t0


def sequential(routers: list[Host], username: str, password: str) -> list[float]:
    return [pull_one(h, username, password) for h in routers]


def infra_backup(inv: Inventory, hosts: list[Host], state: StatePaths) -> list[float]:
    report = back_up(
        inv, hosts, state, BackupOptions(forks=FORKS, command="infra backup (bench)"),
        offsite=lambda i, r: None,
    )  # fmt: skip
    bad = {h: r.message for h, r in report.results.results.items() if not r.ok}
    if bad:
        raise RuntimeError(f"infra backup failed on {bad}")
    return [r.duration_s for r in report.results.results.values()]


def measure(fn: Callable[[], list[float]]) -> dict[str, float]:
    t0 = time.monotonic()
    per = fn()
    return {"wall": time.monotonic() - t0, "per_device": statistics.median(per), "n": len(per)}


def bench(label: str, inv: Inventory, rounds: int, tmp: Path) -> list[str]:
    devices = backup_targets(inv, inv.select(None))
    routers = [h for h in devices if h.is_network_device and inv.stand_in_platform(h).value == "frr"]
    username = str(inv.credentials.device_username)
    password = inv.secret(inv.credentials.device_password).reveal()
    state = StatePaths.from_env(tmp / f"state-{label}")
    infra_backup(inv, devices, state)  # the first run writes every file: not timed
    tools: dict[str, Callable[[], list[float]]] = {
        f"infra backup, all {len(devices)} devices": lambda: infra_backup(inv, devices, state),
        f"infra backup, the {len(routers)} routers": lambda: infra_backup(inv, routers, state),
        f"sequential pulls, the {len(routers)} routers": lambda: sequential(routers, username, password),
    }
    results: dict[str, list[dict[str, float]]] = {}
    for r in range(rounds):
        for name, fn in tools.items():
            m = measure(fn)
            results.setdefault(name, []).append(m)
            print(f"  {label} round {r + 1} {name}: {m['wall']:.1f} s", file=sys.stderr)
    keys = ("wall", "per_device")
    med = {n: {k: statistics.median(m[k] for m in ms) for k in keys} for n, ms in results.items()}
    names = list(tools)
    seq = med[names[2]]["wall"]
    rows = []
    for name in names:
        m = med[name]
        ratio = f"{seq / m['wall']:.1f}" if name != names[2] else "1.0"
        rows.append(f"{label} | {name} | {m['wall']:.2f} | {m['per_device']:.2f} | {ratio}")
    if label == "example":
        verdict = "met" if med[names[0]]["wall"] < GOAL_S else "NOT met"
        rows.append(f"{label} | goal: all devices under {GOAL_S:.0f} s | {verdict} | |")
    return rows


def synthetic(tmp: Path) -> Inventory:
    synth = tmp / "province"
    shape = Shape(departments=19, communes=19, vc_endpoints=0, ups=0, pdus=0, env_sensors=0)
    generate(synth, shape, name="Synthetic 50-router province", lab=True)
    vault = ROOT / "inventory" / "group_vars" / "all" / "vault.yml"
    (synth / "group_vars" / "all" / "vault.yml").write_text(vault.read_text())
    return load_inventory(synth)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--provinces", default="example,synthetic")
    ap.add_argument("--take-down", action="store_true", help="take the example lab down for the synthetic")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("backup_bench: needs root (the lab)", file=sys.stderr)
        return 2
    which = args.provinces.split(",")
    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    was_up = bool(lab_namespaces())
    tmp = Path(tempfile.mkdtemp(prefix="backup-bench-"))
    rows: list[str] = []
    example = load_inventory(ROOT / "inventory")
    try:
        if "example" in which:
            if not was_up:
                lab_up(example, wait=180)
            rows += bench("example", example, args.rounds, tmp)
        if "synthetic" in which:
            if lab_namespaces():
                if was_up and not args.take_down:
                    print("backup_bench: synthetic needs the lab down: --take-down", file=sys.stderr)
                    return 2
                lab_down()
            inv = synthetic(tmp)
            print("lab up: the synthetic province ...", file=sys.stderr)
            lab_up(inv, wait=180)
            try:
                rows += bench("synthetic", inv, args.rounds, tmp)
            finally:
                lab_down()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if was_up and not lab_namespaces():  # leave the machine as it was
            print("bringing the example province's lab back up ...", file=sys.stderr)
            lab_up(example, wait=180)
        elif not was_up and lab_namespaces():
            lab_down()
        os.close(fd)
    print(f"\nmedians of {args.rounds} rounds, forks {FORKS}, {os.cpu_count()} cores\n")
    print("province | client | wall s | per device s (median) | sequential ÷ this")
    print("---|---|---|---|---")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
