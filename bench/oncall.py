"""The on-call board at province scale, side by side with the Alertmanager and Prometheus it reads.

A synthetic province of ~3,000 devices (`infra inventory generate`), its rendered monitoring, a
real Alertmanager (Debian's) with that alertmanager.yml (so inhibition applies) holding 500
active alerts in a realistic mix (WAN links down with their spoke sites' dependent alerts,
devices unreachable, interface errors, UPS/PDU/temperature, VC), and a real Prometheus (Debian's)
with the rendered rules, scraping one static exposition that stands in for the exporters: every
device's `up`/`probe_success`, its interfaces' counters and states, the UPS/PDU/sensor values,
with the labels the real targets carry. Then `infra oncall serve` as a subprocess, and for
/province, /alerts and /device/<host>:

- server time, median and p95 of ~20 requests; *cold* = the board's shared alert snapshot
  (snapshot_ttl 2 s) has expired, so the request fetches and parses Alertmanager's 500 alerts
  (what one operator polling every 5 s always gets); *cached* = right after, snapshot shared;
- page weight: what a browser loads (gzip asked): the HTML plus the /static assets it loads;
- the board's memory (RSS from /proc) after start and after the requests;
- the floor it builds on: Alertmanager's own /api/v2/alerts (same 500 alerts) and Prometheus's
  /classic/alerts page, and the ratio board page / Alertmanager API.

Nothing is written into the repository: everything lives in a temporary directory.

    .venv/bin/python bench/oncall.py [--requests 20] [--keep DIR] [--profile]

`--profile` then samples the board with py-spy (if on PATH; `pip install py-spy` in a scratch venv,
it is no dependency of the project) while it serves each page cold, and prints where the time goes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from oncall_province import SHAPE, alert_mix, configure, exposition, post_alerts, serve_exposition  # noqa: E402

from infra.inventory import load_inventory  # noqa: E402
from infra.inventory.generate import generate  # noqa: E402

INFRA = str(Path(sys.executable).with_name("infra"))
GOAL_MS = 300.0
GOAL_KB = 300.0
# below the ephemeral range (32768-60999), so no outgoing connection holds them
PORTS = {"prometheus": 28190, "alertmanager": 28193, "alertmanager_whatif": 28195, "board": 28180}
GZIP = {"Accept-Encoding": "gzip"}


# ---- processes --------------------------------------------------------------------------------------


def spawn(
    tmp: Path, name: str, argv: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    (tmp / "logs").mkdir(exist_ok=True)
    with open(tmp / "logs" / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=tmp,
            start_new_session=True,
        )  # fmt: skip


def wait_ready(proc: subprocess.Popen[bytes], name: str, url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def prom_value(url: str, query: str) -> float:
    q = urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as r:
        result = json.load(r)["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def wait_for_data(prom: str, hosts: int, wan_links: int, timeout: float = 180.0) -> dict[str, float]:
    """Until Prometheus has scraped every device twice (rates exist) and evaluated every rule group
    (each WAN link end has its `infra:wan_link_up`)."""
    checks = {
        "devices up": 'count(up{job="snmp"}) + count(up{job="node"})',
        "interface rates": "count(infra:interface_in_bps:rate5m)",
        "WAN link states": "count(infra:wan_link_up)",
    }
    deadline = time.monotonic() + timeout
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        seen = {k: prom_value(prom, q) for k, q in checks.items()}
        if seen["devices up"] >= hosts and seen["interface rates"] and seen["WAN link states"] >= wan_links:
            break
        time.sleep(2)
    return seen


def rss_kb(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M)}


# ---- measuring ----------------------------------------------------------------------------------------


def get(url: str) -> tuple[float, bytes]:
    """(seconds, body as it crossed the wire): asks for gzip, as a browser does."""
    start = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=GZIP), timeout=60) as r:
        body = r.read()
    return time.perf_counter() - start, body


def unzipped(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def stats(times: list[float]) -> tuple[float, float]:
    """(median, p95) in ms."""
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def page_weight(base: str, path: str) -> tuple[int, int, int]:
    """(HTML bytes, HTML bytes on the wire, wire bytes of the /static assets it loads)."""
    _, wire = get(base + path)
    html = unzipped(wire)
    assets = sorted(set(re.findall(rb'(?:href|src)="(/static/[^"?#]+)', html)))
    return len(html), len(wire), sum(len(get(base + a.decode())[1]) for a in assets)


def measure(
    pages: list[str], rounds: dict[str, int], peers: dict[str, str], ttl: float
) -> dict[str, dict[str, list[float]]]:
    """Per page: cold (the snapshot expired: sleep past its ttl first) and cached (right after); each
    peer once per round, so both see the same load on the machine."""
    times: dict[str, dict[str, list[float]]] = {p: {"cold": [], "cached": []} for p in [*pages, *peers]}
    for r in range(max(rounds.values())):
        for p in pages:
            if r >= rounds[p]:
                continue
            time.sleep(ttl + 0.1)
            times[p]["cold"].append(get(p)[0])
            times[p]["cached"].append(get(p)[0])
        for name, url in peers.items():
            times[name]["cold"].append(get(url)[0])
    return times


def profile(pid: int, url: str, ttl: float, seconds: float = 10.0, top: int = 8) -> None:
    """Where the board's time goes on one page, cold (py-spy, if on PATH: no dependency of the
    project): the functions with the most samples on top of the stack, and inclusive in the board."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("--profile: py-spy is not on PATH (pip install py-spy in a scratch venv)")
        return
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        rec = subprocess.Popen(
            [spy, "record", "-p", str(pid), "-r", "200", "-f", "raw", "-o", out.name, "-d", f"{seconds:.0f}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1)
        deadline = time.monotonic() + seconds - 2
        while time.monotonic() < deadline:
            time.sleep(ttl + 0.1)
            get(url)
        rec.wait()
        raw = [line.rsplit(" ", 1) for line in Path(out.name).read_text().splitlines() if " " in line]
    idle = ("wait (threading", "select (selectors", "sleep", "acquire", "_worker (concurrent")
    stacks = [([f for f in s.split(";") if "(" in f], int(n)) for s, n in raw]
    stacks = [(fs, n) for fs, n in stacks if fs and not any(w in fs[-1] for w in idle)]
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    for frames, n in stacks:
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for f in {re.sub(r":\d+\)$", ")", f) for f in frames if "infra/oncall/" in f and "__call__" not in f}:
            total[f] = total.get(f, 0) + n
    busy = max(sum(n for _, n in stacks), 1)
    print(f"\n{url.split('/', 3)[-1]}: {busy} busy samples at 200 Hz in {seconds:.0f} s")
    mine = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    inclusive = sorted(total.items(), key=lambda kv: -kv[1])[:top]
    pad = [("", 0)] * top
    for (f, k), (g, m) in zip((mine + pad)[:top], (inclusive + pad)[:top], strict=True):
        print(f"  {k / busy:>4.0%} {f[:62]:<62} {m / busy:>4.0%} {g[:62]}")


def verdict(value: float, goal: float) -> str:
    return "PASS" if value < goal else "MISS"


# ---- the run --------------------------------------------------------------------------------------------


def run(tmp: Path, requests: int, with_profile: bool) -> None:
    busy = [f"{k} {p}" for k, p in PORTS.items() if socket.socket().connect_ex(("127.0.0.1", p)) == 0]
    if busy:
        raise SystemExit(f"ports in use on 127.0.0.1: {', '.join(busy)}")
    hosts = generate(tmp / "province", SHAPE, name="Synthetic 3,000-device province", lab=False)
    inv = load_inventory(tmp / "province")
    alerts, down_hosts, down_links = alert_mix(inv)
    lines = exposition(inv, down_hosts, down_links)
    sock = socket.create_server(("127.0.0.1", 0))
    prom_cfg, am_cfg, whatif_cfg, rules = configure(
        inv, tmp / "monitoring", f"127.0.0.1:{sock.getsockname()[1]}"
    )
    expo = multiprocessing.get_context("fork").Process(
        target=serve_exposition, args=(sock, lines), daemon=True
    )
    expo.start()
    sock.close()
    prom, am, whatif, board = (
        f"http://127.0.0.1:{PORTS[k]}" for k in ("prometheus", "alertmanager", "alertmanager_whatif", "board")
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(spawn(tmp, "alertmanager", [
            "prometheus-alertmanager", f"--config.file={am_cfg}", f"--storage.path={tmp / 'am'}",
            f"--web.listen-address=127.0.0.1:{PORTS['alertmanager']}", "--cluster.listen-address=",
        ]))  # fmt: skip
        procs.append(spawn(tmp, "prometheus", [
            "prometheus", f"--config.file={prom_cfg}", f"--storage.tsdb.path={tmp / 'prom'}",
            f"--web.listen-address=127.0.0.1:{PORTS['prometheus']}",
        ]))  # fmt: skip
        procs.append(spawn(tmp, "alertmanager-whatif", [
            "prometheus-alertmanager", f"--config.file={whatif_cfg}", f"--storage.path={tmp / 'am-whatif'}",
            f"--web.listen-address=127.0.0.1:{PORTS['alertmanager_whatif']}", "--cluster.listen-address=",
        ]))  # fmt: skip
        wait_ready(procs[0], "alertmanager", am + "/-/ready")
        wait_ready(procs[1], "prometheus", prom + "/-/ready")
        wait_ready(procs[2], "alertmanager (what-if)", whatif + "/-/ready")
        post_alerts(am, alerts)
        post_alerts(whatif, alerts)
        env = os.environ | {"INFRA_STATE_DIR": str(tmp / "state")}
        procs.append(spawn(tmp, "board", [
            INFRA, "-i", str(tmp / "province"), "oncall", "serve", f"--listen=127.0.0.1:{PORTS['board']}",
            f"--prometheus={prom}", f"--alertmanager={am}",
        ], env))  # fmt: skip
        wait_ready(procs[-1], "infra oncall serve", board + "/-/healthy")
        rss_start = rss_kb(procs[-1].pid)
        data = wait_for_data(prom, hosts, 2 * len(inv.wan_vpn.tunnels if inv.wan_vpn else ()))
        _, raw = get(am + "/api/v2/alerts")
        held = json.loads(unzipped(raw))
        suppressed = sum(1 for a in held if a["status"]["state"] == "suppressed")
        generic = json.loads(unzipped(get(whatif + "/api/v2/alerts")[1]))
        muted = {a["fingerprint"] for a in held if a["status"]["state"] == "suppressed"}
        generic_muted = {a["fingerprint"] for a in generic if a["status"]["state"] == "suppressed"}
        with urllib.request.urlopen(prom + "/api/v1/status/tsdb", timeout=10) as r:
            series = json.load(r)["data"]["headStats"]["numSeries"]
        print(
            f"synthetic province: {hosts} hosts, {len(inv.sites)} sites; Alertmanager holds {len(held)} "
            f"alerts ({suppressed} inhibited: the WAN outages' dependants); Prometheus: {series} head "
            "series (" + ", ".join(f"{k} {v:.0f}" for k, v in data.items()) + ")"
        )
        print(
            f"inhibit rules: {rules[0]} rendered; the what-if Alertmanager has {rules[1]} (per-site rules "
            f"folded into two with equal: [site]) and inhibits {len(generic_muted)} of the 500, "
            + ("the same ones" if generic_muted == muted else f"{len(generic_muted ^ muted)} differ")
        )

        spoke = alerts[0]["peer_host"]  # the first cut-off spoke: its CPE and its alerts
        hub = alerts[0]["host"]  # the WAN hub: the device with the most interfaces (2,400 tunnels)
        pages = ["/province", "/alerts", f"/device/{spoke}", f"/device/{hub}"]
        for p in pages:  # warm the templates; a page that fails is reported, not measured
            get(board + p)
        rounds = {
            board + p: requests if not p.startswith("/device") else max(requests // 2, 3) for p in pages
        }
        peers = {
            "Alertmanager GET /api/v2/alerts": am + "/api/v2/alerts",
            "Prometheus /classic/alerts": prom + "/classic/alerts",
            "what-if: the same, per-site inhibit rules folded": whatif + "/api/v2/alerts",
        }
        times = {k.removeprefix(board): v for k, v in measure(list(rounds), rounds, peers, ttl=2.0).items()}
        weights = {p: page_weight(board, p) for p in pages}
        rss_end = rss_kb(procs[-1].pid)
        report(pages, times, weights, list(peers), len(unzipped(raw)), rss_start, rss_end)
        if with_profile:
            print("\nprofile (py-spy): own time (top of stack) | inclusive time in infra/oncall")
            for p in pages:
                profile(procs[-1].pid, board + p, ttl=2.0)
    finally:
        for proc in reversed(procs):
            stop(proc)
        expo.terminate()
        expo.join(5)


def report(
    pages: list[str],
    times: dict[str, dict[str, list[float]]],
    weights: dict[str, tuple[int, int, int]],
    peers: list[str],
    api_bytes: int,
    rss_start: dict[str, int],
    rss_end: dict[str, int],
) -> None:
    am_p50, _ = stats(times[peers[0]]["cold"])
    n = len(times[pages[0]]["cold"])
    print(
        f"\nboard (infra oncall serve), ms over {n} requests per page (device pages half); cold = the alert "
        "snapshot expired (ttl 2 s), cached = shared snapshot; the time goal is judged on cold p95"
    )
    head = f"{'page':<26} {'cold p50':>8} {'p95':>7} {'cached p50':>10} {'p95':>7} {'goal':>5} {'':4}"
    print(head + f" {'/AM API':>7} {'HTML KB':>8} {'wire KB':>8} {'goal':>5} {'':4}")
    for p in pages:
        c50, c95 = stats(times[p]["cold"])
        k50, k95 = stats(times[p]["cached"])
        html, wire, static = weights[p]
        kb = (wire + static) / 1024
        timing = f"{c50:>8.1f} {c95:>7.1f} {k50:>10.1f} {k95:>7.1f} {GOAL_MS:>5.0f} {verdict(c95, GOAL_MS):4}"
        weight = f"{html / 1024:>8.1f} {kb:>8.1f} {GOAL_KB:>5.0f} {verdict(kb, GOAL_KB):4}"
        print(f"{p:<26} {timing} {c50 / am_p50:>6.1f}x {weight}")
    print("(wire KB = the HTML as sent gzipped plus the /static files it loads, as a browser fetches them)")
    print(f"\n{'peer (the floor the board builds on)':<50} {'p50 ms':>7} {'p95 ms':>7}")
    for name in peers:
        p50, p95 = stats(times[name]["cold"])
        print(f"{name:<50} {p50:>7.1f} {p95:>7.1f}")
    print(f"(Alertmanager's answer: {api_bytes / 1024:.0f} KB of JSON for the 500 alerts, unzipped)")
    start, end, peak = (x / 1024 for x in (rss_start["VmRSS"], rss_end["VmRSS"], rss_end["VmHWM"]))
    print(f"\nboard memory: RSS {start:.0f} MB after start, {end:.0f} MB after the requests", end="")
    print(f" (peak {peak:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20, help="requests per page (device pages: half)")
    ap.add_argument("--profile", action="store_true", help="then profile the board with py-spy (if on PATH)")
    ap.add_argument("--keep", type=Path, help="run in this new directory and keep it (logs, configs)")
    args = ap.parse_args()
    missing = [t for t in ("prometheus", "prometheus-alertmanager") if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"needs Debian's {', '.join(missing)} (scripts/setup.sh installs them)")
    if args.keep:
        args.keep.mkdir(parents=True)
        run(args.keep.resolve(), args.requests, args.profile)
        return
    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as tmp:
        run(Path(tmp), args.requests, args.profile)


if __name__ == "__main__":
    main()
