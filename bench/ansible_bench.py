"""The Ansible bridge against plain ansible-playbook, on the lab's servers.

Same playbook (playbooks/site.yml, optionally `--tags`), same servers, same inventory, vault
and SSH key, alternating A B A B ...:

- bridge: `infra.ansible.converge_servers` (ansible-runner, events -> Results, temp
  private_data_dir, secrets masking);
- plain: `ansible-playbook` run directly with the same options and environment.

Both runs are no-op re-runs of converged servers unless `--check` is given (check mode).
Prints medians of wall time and client CPU (children's user+sys) and the bridge ÷ plain ratio.
Needs root and the lab up (`infra lab up`); holds the lab's test lock while it runs.

    sudo .venv/bin/python bench/ansible_bench.py [--servers srv-portal-1,srv-log-1] [--rounds 3]
        [--tags baseline_sshd] [--check]
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.ansible import converge_servers  # noqa: E402
from infra.ansible.datadir import envvars  # noqa: E402
from infra.inventory import load_inventory  # noqa: E402
from infra.lab.paths import SSH_KEY, TEST_LOCK_FILE  # noqa: E402


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    t0, c0 = time.monotonic(), children_cpu()
    fn()
    return time.monotonic() - t0, children_cpu() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", default="srv-portal-1,srv-onestop-1,srv-log-1")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tags", default="")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--forks", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))
    inv = load_inventory(ROOT / "inventory")
    hosts = [inv.hosts[n] for n in args.servers.split(",")]
    tags = [t for t in args.tags.split(",") if t]

    def bridge() -> None:
        r = converge_servers(inv, hosts, args.check, args.check, tags=tags, forks=args.forks, ssh_key=SSH_KEY)
        bad = {h: x.message for h, x in r.results.items() if not x.ok}
        assert not bad, bad

    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env = {**os.environ, **envvars(inv, SSH_KEY), "PATH": path}
    argv = ["ansible-playbook", "-i", str(ROOT / "inventory"), "--limit", args.servers, "-f", str(args.forks)]
    argv += ["--vault-password-file", os.environ["ANSIBLE_VAULT_PASSWORD_FILE"]]
    argv += [str(ROOT / "playbooks" / "site.yml")]
    argv += ["--check", "--diff"] if args.check else []
    argv += ["--tags", ",".join(tags)] if tags else []

    def plain() -> None:
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)

    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        bridge()  # converge first: the measured runs are re-runs
        times: dict[str, list[tuple[float, float]]] = {"bridge": [], "plain": []}
        for _ in range(args.rounds):
            times["bridge"].append(timed(bridge))
            times["plain"].append(timed(plain))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    print(f"servers: {args.servers}  tags: {args.tags or '(all)'}  check: {args.check}", end="")
    print(f"  rounds: {args.rounds}")
    print(f"{'runner':<8} {'wall s (median)':>16} {'client CPU s':>13} {'wall each':>30}")
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    for k, v in times.items():
        cpu = statistics.median(c for _, c in v)
        print(f"{k:<8} {med[k]:>16.1f} {cpu:>13.1f} {' '.join(f'{w:.1f}' for w, _ in v):>30}")
    print(f"bridge ÷ plain (wall): {med['bridge'] / med['plain']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
