"""The Ansible bridge against plain ansible-playbook, on the lab's servers.

Same playbook (playbooks/site.yml, optionally `--tags`), same servers, same inventory, vault
and SSH key, alternating A B A B ...:

- bridge: `infra.ansible.converge_servers` (ansible-runner, events -> Results, temp
  private_data_dir, secrets masking);
- plain: `ansible-playbook` run directly with the same options and environment.

Both runs are no-op re-runs of converged servers unless `--check` is given (check mode).
Prints medians of wall time and client CPU (children's user+sys) and the bridge ÷ plain ratio.

`--bare`: every measured run starts from bare servers (`infra.lab.bare.reset_servers`, not
timed): a first converge, bridge only. `--profile`: where the time of the last bridge run went,
from ansible-runner's per-host task events: per role and the slowest tasks, as wall time (first
start to last end over the servers) and host-seconds (the sum over servers).

Needs root and the lab up (`infra lab up`); holds the lab's test lock while it runs.

    sudo .venv/bin/python bench/ansible_bench.py [--servers srv-portal-1,srv-log-1] [--rounds 3]
        [--tags baseline_sshd] [--check]
    sudo .venv/bin/python bench/ansible_bench.py --bare --servers all --rounds 1 --profile
"""

from __future__ import annotations

import argparse
import fcntl
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.ansible import converge_servers  # noqa: E402
from infra.ansible.datadir import STRATEGY_ENV, envvars  # noqa: E402
from infra.inventory import load_inventory  # noqa: E402
from infra.lab import build_plan  # noqa: E402
from infra.lab.bare import reset_servers  # noqa: E402
from infra.lab.paths import SSH_KEY, TEST_LOCK_FILE  # noqa: E402

HOST_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")


class TaskProfile:
    """Per-task timing from ansible-runner events (each carries its host's start and end)."""

    def __init__(self) -> None:
        self.tasks: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)

    def __call__(self, event: dict[str, Any]) -> None:
        data = event.get("event_data") or {}
        if event.get("event") not in HOST_EVENTS or not data.get("start") or not data.get("end"):
            return
        path = str(data.get("task_path") or "")
        role = path.split("/roles/")[1].split("/")[0] if "/roles/" in path else "(play)"
        start = datetime.fromisoformat(data["start"]).timestamp()
        end = datetime.fromisoformat(data["end"]).timestamp()
        self.tasks[(role, str(data.get("task")))].append((start, end, str(event["event"])))

    def report(self, top: int = 15) -> None:
        rows = []
        for (role, task), runs in self.tasks.items():
            wall = max(e for _, e, _ in runs) - min(s for s, _, _ in runs)
            executed = sum(1 for *_, kind in runs if kind != "runner_on_skipped")
            rows.append((role, task, wall, sum(e - s for s, e, _ in runs), executed))
        roles: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for role, _, wall, host_s, executed in rows:
            r = roles[role]
            r[0], r[1], r[2], r[3] = r[0] + wall, r[1] + host_s, r[2] + 1, r[3] + executed
        print(f"\n{'role':<20} {'tasks':>5} {'runs':>5} {'wall s':>7} {'host-s':>7}")
        for role, (wall, host_s, n, executed) in sorted(roles.items(), key=lambda kv: -kv[1][0]):
            print(f"{role:<20} {n:>5.0f} {executed:>5.0f} {wall:>7.1f} {host_s:>7.1f}")
        print(
            f"{'total':<20} {len(rows):>5} {sum(r[4] for r in rows):>5} {sum(r[2] for r in rows):>7.1f}",
            end="",
        )
        print(f" {sum(r[3] for r in rows):>7.1f}")
        print(f"\n{'slowest tasks (wall)':<70} {'runs':>5} {'wall s':>7} {'host-s':>7}")
        for role, task, wall, host_s, executed in sorted(rows, key=lambda r: -r[2])[:top]:
            print(f"{(role + ': ' + task)[:70]:<70} {executed:>5} {wall:>7.1f} {host_s:>7.1f}")


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    t0, c0 = time.monotonic(), children_cpu()
    fn()
    return time.monotonic() - t0, children_cpu() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", default="srv-portal-1,srv-onestop-1,srv-log-1", help="names, or `all`")
    ap.add_argument("--bare", action="store_true", help="each run starts from bare servers (bridge only)")
    ap.add_argument("--profile", action="store_true", help="per role and task timing of the last run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tags", default="")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--forks", type=int, default=5)
    ap.add_argument(
        "--strategies",
        default="mitogen_linear",
        help="INFRA_ANSIBLE_STRATEGY values to alternate, e.g. linear,mitogen_linear (stock vs Mitogen)",
    )
    args = ap.parse_args()
    os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))
    inv = load_inventory(ROOT / "inventory")
    if args.servers == "all":
        args.servers = ",".join(h.name for h in inv.hosts.values() if "servers" in h.groups)
    hosts = [inv.hosts[n] for n in args.servers.split(",")]
    tags = [t for t in args.tags.split(",") if t]
    profile = TaskProfile()

    def bridge() -> None:
        profile.tasks.clear()
        r = converge_servers(
            inv, hosts, args.check, args.check, tags=tags, forks=args.forks, ssh_key=SSH_KEY, on_event=profile
        )
        bad = {h: x.message for h, x in r.results.items() if not x.ok}
        assert not bad, bad

    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    argv = ["ansible-playbook", "-i", str(ROOT / "inventory"), "--limit", args.servers, "-f", str(args.forks)]
    argv += ["--vault-password-file", os.environ["ANSIBLE_VAULT_PASSWORD_FILE"]]
    argv += [str(ROOT / "playbooks" / "site.yml")]
    argv += ["--check", "--diff"] if args.check else []
    argv += ["--tags", ",".join(tags)] if tags else []

    def plain() -> None:
        env = {**os.environ, **envvars(inv, SSH_KEY), "PATH": path}
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)

    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        strategies = [x for x in args.strategies.split(",") if x]
        runners = [("bridge", bridge)] if args.bare else [("bridge", bridge), ("plain", plain)]
        times: dict[str, list[tuple[float, float]]] = {f"{r} {x}": [] for x in strategies for r, _ in runners}
        for _ in range(args.rounds):
            for strategy in strategies:
                os.environ[STRATEGY_ENV] = strategy
                if args.bare:
                    reset_servers(build_plan(inv), [h.name for h in hosts])
                elif not times[f"bridge {strategy}"]:
                    bridge()  # converge first: the measured runs are re-runs
                for name, fn in runners:
                    times[f"{name} {strategy}"].append(timed(fn))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    print(f"servers: {args.servers}  tags: {args.tags or '(all)'}  check: {args.check}", end="")
    print(f"  bare: {args.bare}  forks: {args.forks}  rounds: {args.rounds}  load: {os.getloadavg()[0]:.1f}")
    print(f"{'runner strategy':<24} {'wall s (median)':>16} {'client CPU s':>13} {'wall each':>24}")
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    for k, v in times.items():
        cpu = statistics.median(c for _, c in v)
        print(f"{k:<24} {med[k]:>16.1f} {cpu:>13.1f} {' '.join(f'{w:.1f}' for w, _ in v):>24}")
    for strategy in strategies:
        if f"plain {strategy}" in med:
            ratio = med[f"bridge {strategy}"] / med[f"plain {strategy}"]
            print(f"bridge ÷ plain ({strategy}, wall): {ratio:.2f}")
    if args.profile:
        profile.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
