"""SNMP exporter benchmark: Debian's Go snmp_exporter 0.21 and ours, side by side in one run.

Agents: net-snmp snmpd + the snmprec plug-in (C speed) serving synthetic switches from
../shared/tools/snmprec-agent/gen_switch.py, all on 127.0.0.1. Scenarios (module if_mib):
one 48-port switch (v2c and v3 authPriv SHA/AES), one 1,000-port switch (v2c), and 100
48-port switches scraped at once. Rounds alternate Go / ours (A B A B); medians are printed
with the ratio ours / Go. CPU = user+system time of the exporter's processes (ours: the
supervisor and its workers), read from /proc before and after each round.

usage: .venv/bin/python bench/exporter_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INFRA_SHARED", ROOT.parent / "shared"))
TOOLS = SHARED / "tools" / "snmprec-agent"
REFERENCE = SHARED / "reference" / "snmp_exporter-v0.21-if_mib.yml"
AGENT_SO = ROOT / "build" / "snmprec_agent.so"
USER, AUTH_PW, PRIV_PW = "benchuser", "authpass123", "privpass123"
CLK = os.sysconf("SC_CLK_TCK")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_agent() -> None:
    if AGENT_SO.exists():
        return
    AGENT_SO.parent.mkdir(exist_ok=True)
    flags = subprocess.run(
        ["net-snmp-config", "--cflags"], capture_output=True, text=True, check=True
    ).stdout.split()
    src = str(TOOLS / "snmprec_agent.c")
    cmd = ["gcc", "-O2", "-Wall", "-fPIC", "-shared", "-o", str(AGENT_SO), src]
    subprocess.run([*cmd, *flags, "-lnetsnmpagent", "-lnetsnmp"], check=True)


def start_agent(work: Path, recording: Path, nports: int) -> tuple[subprocess.Popen[bytes], list[int]]:
    d = Path(tempfile.mkdtemp(dir=work))
    (d / "agent.conf").write_text(
        f"rocommunity public 127.0.0.1\ncreateUser {USER} SHA {AUTH_PW} AES {PRIV_PW}\nrouser {USER} priv\n"
        f"dontLogTCPWrappersConnects yes\ndlmod snmprec_agent {AGENT_SO}\n"
    )
    ports = [free_port(socket.SOCK_DGRAM) for _ in range(nports)]
    env = dict(
        os.environ, SNMPREC_FILE=str(recording), SNMPREC_ROOTS="1.3.6.1", SNMP_PERSISTENT_DIR=str(d), MIBS=""
    )
    listen = ",".join(f"udp:127.0.0.1:{p}" for p in ports)
    cmd = ["snmpd", "-f", "-Lf", str(d / "log"), "-C", "-c", str(d / "agent.conf")]
    proc = subprocess.Popen([*cmd, "-I", "dlmod,vacm_conf,vacm_vars,usmConf", listen], env=env)
    time.sleep(0.5 + nports * 0.005)
    return proc, ports


def wait_http(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def go_config(work: Path) -> Path:
    """The official v0.21 if_mib plus the same module with a v3 authPriv auth (v0.21 format)."""
    text = REFERENCE.read_text()
    v3 = text.replace("if_mib:", "if_mib_v3:", 1).rstrip("\n") + (
        f"\n  version: 3\n  auth:\n    username: {USER}\n    security_level: authPriv\n"
        f"    auth_protocol: SHA\n    password: {AUTH_PW}\n"
        f"    priv_protocol: AES\n    priv_password: {PRIV_PW}\n"
    )
    p = work / "go-snmp.yml"
    p.write_text(text + v3)
    return p


def our_config(work: Path) -> Path:
    p = work / "ours-auths.yml"
    p.write_text(
        f"auths:\n  bench_v3:\n    version: 3\n    username: {USER}\n    security_level: authPriv\n"
        f"    auth_protocol: SHA\n    password: {AUTH_PW}\n"
        f"    priv_protocol: AES\n    priv_password: {PRIV_PW}\n"
        "allowed_targets:\n  bench_v3: {cidrs: [127.0.0.0/8]}\n"
    )
    return p


def tree_cpu(pid: int) -> float:
    """CPU seconds of pid and its children (threads included)."""
    total = 0.0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                stack.extend(int(k) for k in kids)
        except (OSError, IndexError):
            continue
    return total


def scrape(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as r:
        body = r.read().decode()
    m = re.search(r"^snmp_scrape_pdus_returned(?:\{[^}]*\})? (\S+)$", body, re.M)
    if not m or ("snmp_scrape_error{" in body and re.search(r"^snmp_scrape_error\{[^}]*\} 1$", body, re.M)):
        raise RuntimeError(f"scrape failed: {url}\n{body[-500:]}")
    return int(float(m[1]))


def run_round(
    base: str, pid: int, targets: list[int], module: str, auth: str | None, repeat: int = 1
) -> tuple[float, float, int]:
    """(wall seconds per scrape set, CPU seconds, varbinds) over `repeat` sequential scrape
    sets, so that /proc's 10 ms CPU ticks do not swamp the small scenarios."""
    q = f"&auth={auth}" if auth else ""
    urls = [f"{base}/snmp?target=127.0.0.1:{p}&module={module}{q}" for p in targets]
    cpu0, t0 = tree_cpu(pid), time.perf_counter()
    vbs = 0
    for _ in range(repeat):
        if len(urls) == 1:
            vbs += scrape(urls[0])
        else:
            with ThreadPoolExecutor(len(urls)) as pool:
                vbs += sum(pool.map(scrape, urls))
    return (time.perf_counter() - t0) / repeat, tree_cpu(pid) - cpu0, vbs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    for tool in ("snmpd", "prometheus-snmp-exporter", "gcc"):
        if not shutil.which(tool):
            print(f"bench: {tool} is not installed; run `make setup`", file=sys.stderr)
            return 2
    build_agent()
    work = Path(tempfile.mkdtemp(prefix="exporter-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in (48, 1000):
            subprocess.run(
                [sys.executable, str(TOOLS / "gen_switch.py"), str(n), str(work / f"sw{n}.snmprec")],
                check=True,
                capture_output=True,
            )
        a48, p48 = start_agent(work, work / "sw48.snmprec", 1)
        a1000, p1000 = start_agent(work, work / "sw1000.snmprec", 1)
        a100, p100 = start_agent(work, work / "sw48.snmprec", 100)
        procs += [a48, a1000, a100]
        go_port, our_port = free_port(), free_port()
        go = subprocess.Popen(
            [
                "prometheus-snmp-exporter",
                f"--config.file={go_config(work)}",
                f"--web.listen-address=127.0.0.1:{go_port}",
            ],
            stderr=subprocess.DEVNULL,
        )
        ours = subprocess.Popen(
            [sys.executable, "-m", "exporters.snmp.main", f"--web.listen-address=127.0.0.1:{our_port}"]
            + [f"--config.file={f}" for f in sorted((ROOT / "exporters/snmp/modules").glob("*.yml"))]
            + [f"--config.file={our_config(work)}", "--log.level=warn"],
            cwd=ROOT,
        )
        procs += [go, ours]
        go_url, our_url = f"http://127.0.0.1:{go_port}", f"http://127.0.0.1:{our_port}"
        wait_http(go_url + "/-/healthy")
        wait_http(our_url + "/-/healthy")
        scenarios = [
            ("48 ports, v2c", p48, ("if_mib", None), ("if_mib", "public_v2"), 20),
            ("1,000 ports, v2c", p1000, ("if_mib", None), ("if_mib", "public_v2"), 2),
            ("48 ports, v3 authPriv SHA/AES", p48, ("if_mib_v3", None), ("if_mib", "bench_v3"), 20),
            ("100 x 48 ports at once, v2c", p100, ("if_mib", None), ("if_mib", "public_v2"), 1),
        ]
        print(
            f"rounds: {args.rounds} (alternating Go / ours), medians; load average {os.getloadavg()[0]:.1f}"
        )
        header = (
            f"{'scenario':32} {'Go wall':>9} {'ours wall':>9} {'ratio':>6} {'Go vb/s':>9} {'ours vb/s':>9}"
            f" {'Go CPU-ms/1k':>12} {'ours CPU-ms/1k':>14} {'ratio':>6}"
        )
        print(header)
        print("-" * len(header))
        for name, ports, (gmod, gauth), (omod, oauth), repeat in scenarios:
            run_round(go_url, go.pid, ports, gmod, gauth)  # warm-up
            run_round(our_url, ours.pid, ports, omod, oauth)
            g_rounds, o_rounds = [], []
            for _ in range(args.rounds):
                g_rounds.append(run_round(go_url, go.pid, ports, gmod, gauth, repeat))
                o_rounds.append(run_round(our_url, ours.pid, ports, omod, oauth, repeat))
            gw = statistics.median(r[0] for r in g_rounds)
            ow = statistics.median(r[0] for r in o_rounds)
            gc = statistics.median(1000 * r[1] / r[2] * 1000 for r in g_rounds)
            oc = statistics.median(1000 * r[1] / r[2] * 1000 for r in o_rounds)
            gvb, ovb = g_rounds[0][2] / repeat, o_rounds[0][2] / repeat
            print(
                f"{name:32} {gw:8.3f}s {ow:8.3f}s {ow / gw:6.2f} {gvb / gw:9.0f} {ovb / ow:9.0f}"
                f" {gc:12.1f} {oc:14.1f} {oc / gc:6.2f}"
            )
        print("goals: 100 at once ours wall <= Go; CPU per varbind <= 1.5x Go; v3 authPriv within 1.5x")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
