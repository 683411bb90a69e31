"""Validate a synthetic 5,000-host province: wall time and peak memory, beside ansible-inventory.

Usage: .venv/bin/python bench/inventory_bench.py [--hosts-goal 5000] [--rounds 3]
Goal (issue 2): under 3 s and 500 MB on 2 cores. Runs A B A B ... and prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process, via GNU time's %M."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "lab" / "vault-password")},
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{proc.stderr[-2000:]}")
    m = re.search(r"MAXRSS (\d+)", proc.stderr)
    return wall, int(m.group(1)) / 1024 if m else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        raise SystemExit("needs GNU time (Debian package 'time')")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "province"
        subprocess.run(
            [
                str(BIN / "infra"),
                "inventory",
                "generate",
                "--out",
                str(out),
                "--departments",
                "1500",
                "--communes",
                "2500",
                "--access-switches",
                "400",
                "--campus-units",
                "400",
                "--vc-endpoints",
                "580",
            ],
            check=True,
            capture_output=True,
        )
        hosts = sum(1 for _ in (out / "host_vars").iterdir())
        ours = [str(BIN / "infra"), "--inventory", str(out), "inventory", "validate"]
        # --list copies the province-wide topology into all 5,000 hosts (measured: 8.5 GB, >5 min), so the
        # peer is --graph: parsing hosts and groups only.
        peer = [str(BIN / "ansible-inventory"), "-i", str(out), "--graph"]
        rows: dict[str, list[tuple[float, float]]] = {
            "infra inventory validate": [],
            "ansible-inventory --graph": [],
        }
        for _ in range(args.rounds):
            rows["infra inventory validate"].append(timed(ours))
            rows["ansible-inventory --graph"].append(timed(peer))
    print(f"synthetic province: {hosts} hosts, {args.rounds} alternating rounds, medians")
    print(f"{'command':<28} {'wall s':>8} {'peak MB':>8}")
    med = {}
    for name, samples in rows.items():
        wall = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples)
        med[name] = wall
        print(f"{name:<28} {wall:>8.2f} {rss:>8.0f}")
    ratio = med["infra inventory validate"] / med["ansible-inventory --graph"]
    print(
        f"infra validate / ansible-inventory --graph wall ratio: {ratio:.2f} "
        "(infra also loads every variable, types and checks the topology)"
    )


if __name__ == "__main__":
    main()
