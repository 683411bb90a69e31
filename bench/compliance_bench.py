"""Offline compliance audit of 1,000 device configurations: time and peak memory.

Generates a synthetic estate (access switches with 48 ports, CPE routers with long ACLs and
certificate chains, Huawei VRP switches and firewalls, FRR routers from the example province's
rendered configs), then audits it the way `infra audit --compliance --offline DIR` does, A/B
alternating one worker and one worker per core. Prints a table and the ratio. Goal: < 10 s.

    .venv/bin/python bench/compliance_bench.py [--devices 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "compliance" / "golden"


def _ios_switch(n: int, rng: random.Random) -> str:
    base = (GOLDEN / "cisco_ios.cfg").read_text().replace("golden-ios", f"acc-{n}")
    ports = []
    for p in range(3, 51):
        vlan = rng.choice([110, 111, 112, 999])
        ports.append(
            f"interface GigabitEthernet1/0/{p}\n description user port {p}\n switchport access vlan {vlan}\n"
            f" switchport mode access\n storm-control broadcast level 5.00\n spanning-tree portfast edge\n"
            + (" shutdown\n" if vlan == 999 else "")
            + "!\n"
        )
    if rng.random() < 0.3:  # a third drift from the baseline
        base = base.replace("ip ssh version 2\n", "").replace(" transport input ssh", " transport input all")
    return base.replace("interface Vlan1\n", "".join(ports) + "interface Vlan1\n")


def _ios_router(n: int, rng: random.Random) -> str:
    base = (GOLDEN / "cisco_ios.cfg").read_text().replace("golden-ios", f"cpe-{n}")
    acl = "ip access-list extended EDGE-IN\n" + "".join(
        f" {10 * i} permit tcp 10.{i % 250}.{rng.randrange(250)}.0 0.0.0.255 any eq "
        f"{rng.choice([22, 443, 161])}\n"
        for i in range(1, 301)
    )
    cert = (
        "crypto pki certificate chain TP-self-signed\n certificate self-signed 01\n"
        + "".join("  " + " ".join(f"{rng.getrandbits(32):08X}" for _ in range(8)) + "\n" for _ in range(30))
        + "  \tquit\n"
    )
    if rng.random() < 0.3:
        base = base.replace("no ip bootp server\n", "ip http server\n")
    return base.replace("!\nsnmp-server group", "!\n" + acl + cert + "!\nsnmp-server group")


def _vrp(n: int, rng: random.Random) -> str:
    base = (GOLDEN / "huawei_vrp.cfg").read_text().replace("golden-vrp", f"vrp-{n}")
    ports = "".join(
        f"interface GigabitEthernet0/0/{p}\n port link-type access\n"
        f" port default vlan {rng.choice([110, 111])}\n"
        f" stp edged-port enable\n storm-control broadcast min-rate 1000 max-rate 2000\n#\n"
        for p in range(3, 51)
    )
    if rng.random() < 0.3:
        base = base.replace("undo telnet server enable\n", "telnet server enable\n")
    return base.replace("interface LoopBack0\n", ports + "interface LoopBack0\n")


def generate(directory: Path, devices: int) -> dict[str, int]:
    rng = random.Random(8)
    rendered = subprocess.run(
        [
            str(ROOT / ".venv/bin/infra"),
            "-i",
            str(ROOT / "inventory"),
            "render",
            "--out",
            str(directory / "_frr"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    frr = sorted((directory / "_frr").glob("*.cfg")) if rendered.returncode == 0 else []
    frr_texts = [p.read_text() for p in frr] or [(GOLDEN / "frr.cfg").read_text()]
    counts = {"cisco_ios switch": 0, "cisco_ios router": 0, "huawei_vrp": 0, "frr": 0}
    out = directory / "configs"
    out.mkdir()
    for n in range(devices):
        kind = ("cisco_ios switch", "cisco_ios router", "huawei_vrp", "frr")[n % 4]
        text = {"cisco_ios switch": _ios_switch, "cisco_ios router": _ios_router, "huawei_vrp": _vrp}.get(
            kind
        )
        body = (
            text(n, rng) if text else frr_texts[n % len(frr_texts)].replace("hostname ", f"hostname r{n}-", 1)
        )
        (out / f"dev-{n:05d}.cfg").write_text(body)
        counts[kind] += 1
    return counts


CHILD = """
import resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from infra.audit.compliance import run_compliance
r = run_compliance(None, offline=Path(sys.argv[1]), workers=int(sys.argv[2]), parser=sys.argv[3])
dt = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
rss = max(me.ru_maxrss, kids.ru_maxrss)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
findings = sum(len(d.findings) for d in r.devices)
print(dt, rss, len(r.devices), findings, sum(len(d.results) for d in r.devices), cpu)
"""


def run(directory: Path, workers: int, parser: str) -> tuple[float, float, int, int, int, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(directory), str(workers), parser],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    dt, rss, devices, findings, results, cpu = out.stdout.split()
    return float(dt), int(rss) / 1024, int(devices), int(findings), int(results), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="compliance-bench-") as tmp:
        counts = generate(Path(tmp), args.devices)
        configs = Path(tmp) / "configs"
        size = sum(p.stat().st_size for p in configs.iterdir())
        lines = sum(p.read_text().count("\n") for p in configs.iterdir())
        print(
            f"estate: {args.devices} configs, {lines:,} lines, {size / 1e6:.1f} MB: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
        )
        cores = os.cpu_count() or 1
        workers = cores if args.devices >= 2000 else 1  # run_compliance's own choice
        variants = {"indent tree (default)": "indent", "hier_config 3.7 tree": "hier_config"}
        samples: dict[str, list[tuple[float, float, int, int, int, float]]] = {v: [] for v in variants}
        print(
            f"load average before: {os.getloadavg()[0]:.1f} on {cores} cores "
            "(wall times include waiting for CPU; CPU s does not)"
        )
        for _ in range(args.rounds):  # A B A B ...
            for name, kind in variants.items():
                samples[name].append(run(configs, workers, kind))
        print(
            f"\n{'parser':<22} {'median s':>9} {'min s':>7} {'CPU s':>6} {'peak RSS MB':>12} {'devices':>8} "
            f"{'rule results':>13} {'findings':>9}"
        )
        med: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for name, s in samples.items():
            med[name] = statistics.median(x[0] for x in s)
            cpu[name] = statistics.median(x[5] for x in s)
            print(
                f"{name:<22} {med[name]:>9.2f} {min(x[0] for x in s):>7.2f} {cpu[name]:>6.2f} "
                f"{max(x[1] for x in s):>12.0f} {s[0][2]:>8} {s[0][4]:>13,} {s[0][3]:>9,}"
            )
        a, b = variants
        same = samples[a][0][3] == samples[b][0][3]
        print(
            f"\nhier_config / indent tree: {med[b] / med[a]:.1f}x wall, {cpu[b] / cpu[a]:.1f}x CPU; "
            f"same findings: {same}; workers: {workers}; per device: {1000 * med[a] / args.devices:.2f} ms; "
            f"goal < 10 s: {'met' if med[a] < 10 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
