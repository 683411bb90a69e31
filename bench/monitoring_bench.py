"""Monitoring as code at scale, and the monitoring stack's cost in the lab.

1. Render for a synthetic province of ~5,000 devices (`infra inventory generate`): wall time and
   peak memory of `infra monitoring render` (single Prometheus and 4 shards), A/B alternating,
   medians; file sizes; promtool's own check of the result as the reference peer.
2. If the lab is up (root): start Prometheus + Alertmanager + blackbox + infra-snmp-exporter on
   loopback against it for --lab-seconds, then report Prometheus memory, head series and
   scrape duration per job. Holds the lab's test lock while it runs.

    .venv/bin/python bench/monitoring_bench.py [--rounds 3] [--lab-seconds 60] [--no-lab]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INFRA = str(BIN / "infra")


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one process, by GNU time."""
    with tempfile.NamedTemporaryFile() as tf:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", tf.name, *argv], check=True, capture_output=True, cwd=cwd
        )
        wall = time.perf_counter() - start
        return wall, int(Path(tf.name).read_text().split()[-1]) / 1024


def generate(out: Path) -> int:
    subprocess.run(
        [
            INFRA,
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
    return sum(1 for _ in (out / "host_vars").iterdir())


def sizes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}


def scale(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        province = Path(tmp) / "province"
        hosts = generate(province)
        single, sharded = Path(tmp) / "single", Path(tmp) / "sharded"
        cmds = {
            "render (1 Prometheus)": [
                INFRA,
                "-i",
                str(province),
                "monitoring",
                "render",
                "--out",
                str(single),
            ],
            "render --shards 4": [
                INFRA,
                "-i",
                str(province),
                "monitoring",
                "render",
                "--out",
                str(sharded),
                "--shards",
                "4",
            ],
        }
        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        for _ in range(rounds):
            for name, argv in cmds.items():
                samples[name].append(timed(argv))
        check = {
            "promtool check config": ["promtool", "check", "config", "prometheus.yml"],
            "promtool check rules": [
                "promtool",
                "check",
                "rules",
                "rules/alerts.yml",
                "rules/recording.yml",
                "rules/inventory.yml",
            ],
            "amtool check-config": ["amtool", "check-config", "alertmanager.yml"],
        }
        for name, argv in check.items():
            samples[name] = [timed(argv, cwd=single) for _ in range(rounds)]
        files = sizes(single)
        print(f"synthetic province: {hosts} hosts; {rounds} alternating rounds, medians")
        print(f"{'step':<26} {'wall s':>8} {'peak MB':>8}")
        med = {}
        for name, s in samples.items():
            med[name] = statistics.median(x[0] for x in s)
            print(f"{name:<26} {med[name]:>8.2f} {statistics.median(x[1] for x in s):>8.0f}")
        checks = med["promtool check config"] + med["promtool check rules"] + med["amtool check-config"]
        print(
            "render / (promtool + amtool checks of its output) wall ratio: "
            f"{med['render (1 Prometheus)'] / checks:.2f}"
        )
        print(f"\n{'file':<34} {'KiB':>9}")
        for name, n in sorted(files.items(), key=lambda kv: -kv[1])[:10]:
            print(f"{name:<34} {n / 1024:>9.0f}")
        print(f"{'total (' + str(len(files)) + ' files)':<34} {sum(files.values()) / 1024:>9.0f}")
        rules = json.loads(
            json.dumps(__import__("yaml").safe_load((single / "rules" / "inventory.yml").read_text()))
        )
        print(f"inventory info series (recording rules): {len(rules['groups'][0]['rules'])}")
        am = __import__("yaml").safe_load((single / "alertmanager.yml").read_text())
        print(f"alertmanager inhibit rules: {len(am['inhibit_rules'])}")


def prom(url: str, query: str) -> list[dict]:  # type: ignore[type-arg]
    q = urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as r:
        return json.load(r)["data"]["result"]  # type: ignore[no-any-return]


def prom_self(url: str, metric: str) -> float:
    """A value of Prometheus' own /metrics (it does not scrape itself here)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(metric + " "):
                return float(line.split()[1])
    return float("nan")


def lab(seconds: int, lock: bool = True) -> None:
    from infra.inventory import load_inventory
    from infra.lab.netns import lab_namespaces
    from infra.lab.paths import TEST_LOCK_FILE
    from infra.monitoring.stack import Ports, start_stack, stop_stack

    if os.geteuid() != 0 or not lab_namespaces():
        print("\nlab: not measured (needs root and a lab that is up: sudo infra lab up --converged)")
        return
    os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))
    inv = load_inventory(ROOT / "inventory")
    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    if lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Without the lock: read-only polling, no stand-ins in the lab's namespaces (so WAN and
            # node targets are down), for measuring while another session holds the lab.
            stack = start_stack(
                inv,
                Path(tmp),
                Ports(29090, 29093, 29115, 29116),
                scrape_interval="15s",
                lab_stand_ins=lock,
                board=False,
            )
            try:
                time.sleep(seconds)
                url = stack.urls["prometheus"]
                up = prom(url, "sum by (job) (up)")
                count = prom(url, "count by (job) (up)")
                dur = {
                    r["metric"]["job"]: r["value"][1]
                    for r in prom(url, "avg by (job) (scrape_duration_seconds)")
                }
                mx = {
                    r["metric"]["job"]: r["value"][1]
                    for r in prom(url, "max by (job) (scrape_duration_seconds)")
                }
                samples = {
                    r["metric"]["job"]: r["value"][1]
                    for r in prom(url, "sum by (job) (scrape_samples_scraped)")
                }
                slow = prom(url, 'topk(3, max_over_time(scrape_duration_seconds{job="snmp"}[5m]))')
                upd = {r["metric"]["job"]: r["value"][1] for r in up}
                print(
                    f"\nlab: example province ({len(inv.hosts)} hosts), scrape every 15 s, after {seconds} s"
                )
                print(
                    f"{'job':<10} {'targets':>7} {'up':>4} {'avg scrape s':>12} "
                    f"{'max scrape s':>12} {'samples':>8}"
                )
                for r in sorted(count, key=lambda r: r["metric"]["job"]):
                    j = r["metric"]["job"]
                    print(
                        f"{j:<10} {r['value'][1]:>7} {upd.get(j, '?'):>4} {float(dur.get(j, 'nan')):>12.3f} "
                        f"{float(mx.get(j, 'nan')):>12.3f} {samples.get(j, '?'):>8}"
                    )
                print(
                    f"Prometheus RSS {prom_self(url, 'process_resident_memory_bytes') / 2**20:.0f} MB, "
                    f"head series {prom_self(url, 'prometheus_tsdb_head_series'):.0f}"
                )
                print(
                    "slowest SNMP targets:",
                    ", ".join(f"{r['metric']['host']} {float(r['value'][1]):.2f} s" for r in slow),
                )
            finally:
                stop_stack(Path(tmp))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lab-seconds", type=int, default=60)
    ap.add_argument("--no-lab", action="store_true")
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument(
        "--no-lock",
        action="store_true",
        help="measure the lab read-only without its test lock (no stand-ins)",
    )
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        raise SystemExit("needs GNU time (Debian package 'time')")
    if not args.no_scale:
        scale(args.rounds)
    if not args.no_lab:
        lab(args.lab_seconds, lock=not args.no_lock)


if __name__ == "__main__":
    main()
