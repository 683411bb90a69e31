"""Lab bring-up and teardown: the example province and a synthetic one (50 routers, 10 servers).

Prints seconds until every node answers SSH/SNMP on its management address, seconds to `down`,
and memory (PSS) per router, for alternating rounds (A B A B), with medians.
Needs root and a lab that is down; takes the lab's test lock so pytest sessions queue.

    sudo .venv/bin/python bench/lab_bench.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))

from infra.inventory import Inventory, load_inventory  # noqa: E402
from infra.inventory.generate import Shape, generate  # noqa: E402
from infra.lab import lab_down, lab_up  # noqa: E402
from infra.lab.netns import lab_namespaces, pids_in  # noqa: E402
from infra.lab.paths import TEST_LOCK_FILE, netns_name  # noqa: E402
from infra.lab.plan import ROUTER, SERVER  # noqa: E402

GOAL_UP, GOAL_DOWN = 30.0, 10.0


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_round(inv: Inventory) -> dict[str, float]:
    report = lab_up(inv, wait=120)
    ready = sum(1 for s in report.status if s.ready)
    routers = report.plan.of_kind(ROUTER)
    mem = [sum(pss_kib(p) for p in pids_in(netns_name(n.name))) / 1024 for n in routers]
    down = lab_down()
    return {
        "nodes": len(report.plan.nodes),
        "routers": len(routers),
        "servers": len(report.plan.of_kind(SERVER)),
        "ready": ready,
        "up_s": report.seconds,
        "daemons_s": report.phases.get("daemons", 0.0),
        "down_s": down.seconds,
        "mib_per_router": statistics.median(mem) if mem else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("lab_bench: needs root (network namespaces)", file=sys.stderr)
        return 2
    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if lab_namespaces():
        print(
            "lab_bench: the lab is up; run `infra lab down` first (the bench builds its own)", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        synth_dir = Path(tmp) / "synthetic"
        shape = Shape(
            departments=19, communes=19, vc_endpoints=0, ups=0, pdus=0, env_sensors=0, app_servers=1
        )
        generate(synth_dir, shape, name="Synthetic 50-router province", lab=True)
        vault = ROOT / "inventory" / "group_vars" / "all" / "vault.yml"  # the lab's secrets, vaulted
        (synth_dir / "group_vars" / "all" / "vault.yml").write_text(vault.read_text())
        provinces = {"example": load_inventory(ROOT / "inventory"), "synthetic-50": load_inventory(synth_dir)}
        results: dict[str, list[dict[str, float]]] = {k: [] for k in provinces}
        for _ in range(args.rounds):
            for name, inv in provinces.items():  # A B A B: the machine is shared and noisy
                results[name].append(one_round(inv))
                r = results[name][-1]
                print(
                    f"  {name}: up {r['up_s']:.1f} s, down {r['down_s']:.1f} s, "
                    f"load {os.getloadavg()[0]:.1f}",
                    file=sys.stderr,
                )
    cols = [
        "province",
        "nodes",
        "routers",
        "servers",
        "ready",
        "up_s",
        "daemons_s",
        "down_s",
        "mib_per_router",
    ]
    print(" | ".join(cols))
    print(" | ".join("---" for _ in cols))
    for name, rounds in results.items():
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(
            f"{name} | {med['nodes']:.0f} | {med['routers']:.0f} | {med['servers']:.0f} | "
            f"{med['ready']:.0f} | "
            f"{med['up_s']:.1f} | {med['daemons_s']:.1f} | {med['down_s']:.1f} | {med['mib_per_router']:.1f}"
        )
    synth = results["synthetic-50"]
    up = statistics.median(r["up_s"] for r in synth)
    down = statistics.median(r["down_s"] for r in synth)
    print(
        f"\nsynthetic-50: up {up:.1f} s = {up / GOAL_UP:.2f} x goal ({GOAL_UP:.0f} s); "
        f"down {down:.1f} s = {down / GOAL_DOWN:.2f} x goal ({GOAL_DOWN:.0f} s); "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
