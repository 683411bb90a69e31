"""Deploy the same change to 20 and 50 lab routers: infra deploy vs Ansible vs the raw limit.

The change is 50 `access-list` lines plus a save, on FRR routers of a synthetic 50-router
province built by the lab. Side by side in one run, alternating (A B C D, A B C D, ...):

- infra deploy: the whole flow (backup, diff, push the remediation, verify: no drift left,
  OSPF/BGP neighbours, a fresh management login; confirm, save, backups and journal), forks 25;
- Ansible `cisco.ios.ios_config` (save_when: modified) and `ansible.netcommon.cli_config` +
  `write memory`, over `network_cli`, forks 25 (Ansible from PyPI in its own venv, see --ansible);
- raw: one paramiko session per router sending the lines to vtysh, waiting only for the final
  prompt after `write memory`, 25 threads.

Prints medians of wall time, client CPU (user+sys of this process or of the ansible-playbook
children) and per-device time, with ratios to the raw push and to Ansible. `--profile` also
prints where infra's time goes per device (median seconds per driver operation; `probe` is
verification's management probe). Needs root and a lab that is down (it builds its own and takes
it down after); `--take-down` first takes an up lab down and brings the example province's lab
back up at the end (management config only, as the lab tests start it). It holds the lab's test
lock for the whole run. The Ansible venv (default build/bench-ansible) is made on first
use: `python3 -m venv` + `pip install` of ANSIBLE_VENV_PACKAGES (the PyPI `ansible` package bundles
the collections; `network_cli` needs paramiko and ansible-pylibssh beside it); `--no-ansible`
skips the Ansible columns.

    sudo .venv/bin/python bench/deploy_bench.py [--rounds 2] [--sizes 20,50] [--profile]
        [--tools infra,raw,cli_config,ios_config] [--ansible build/bench-ansible] [--no-ansible]
        [--take-down]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(ROOT / "lab" / "vault-password"))

import paramiko  # noqa: E402

from infra.deploy import DeployOptions, deploy  # noqa: E402
from infra.drivers.base import DeviceTarget, Driver  # noqa: E402
from infra.drivers.targets import default_factory  # noqa: E402
from infra.inventory import Inventory, load_inventory  # noqa: E402
from infra.inventory.generate import Shape, generate  # noqa: E402
from infra.inventory.models import Host  # noqa: E402
from infra.lab import lab_down, lab_up  # noqa: E402
from infra.lab.netns import lab_namespaces  # noqa: E402
from infra.lab.paths import TEST_LOCK_FILE  # noqa: E402
from infra.lab.sh import ns_argv  # noqa: E402
from infra.render.intent import default_intent  # noqa: E402
from infra.state import StatePaths  # noqa: E402

FORKS = 25
# The comparison's Ansible: Ansible 12 (ansible-core 2.19), plus what `network_cli` imports.
ANSIBLE_VENV_PACKAGES = ["ansible>=12,<13", "paramiko>=3", "ansible-pylibssh>=1.2"]
CHANGE = [f"access-list bench seq {5 * (i + 1)} permit 10.200.{i}.0/24" for i in range(50)]
UNDO = ["no access-list bench"]


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


# ---- raw: one paramiko session per router ---------------------------------------------------
def raw_push(host: Host, password: str, lines: list[str]) -> float:
    t0 = time.monotonic()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        str(host.mgmt_address),
        username="admin",
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=20,
    )
    chan = client.invoke_shell(width=511)
    text = "configure terminal\n" + "\n".join(lines) + "\nend\nwrite memory\n"
    chan.sendall(text.encode())
    buf = ""
    prompt = re.compile(r"\[OK\][\s\S]*\n\S+# ?$")
    while not prompt.search(buf):
        data = chan.recv(65536)
        if not data:
            raise RuntimeError(f"{host.name}: session closed: {buf[-200:]}")
        buf += data.decode(errors="replace")
    client.close()
    return time.monotonic() - t0


def raw_all(hosts: list[Host], password: str, lines: list[str]) -> list[float]:
    with ThreadPoolExecutor(FORKS) as pool:
        return list(pool.map(lambda h: raw_push(h, password, lines), hosts))


# ---- infra deploy ----------------------------------------------------------------------------
def with_change(inv: Inventory, host: Host) -> str:
    return default_intent(inv, host).replace("\nline vty", "\n" + "\n".join(CHANGE) + "\n!\nline vty", 1)


class Profile:
    """Times every driver operation of every device (outermost calls only: `compare` includes its
    read of the running config; `probe` is verification's fresh login, on its own driver)."""

    OPS = (
        "open", "compare", "get_startup_config", "neighbours_up", "commit", "get_running_config",
        "probe", "confirm", "save", "close",
    )  # fmt: skip

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._depth = threading.local()

    def factory(self, target: DeviceTarget) -> Driver:
        drv = default_factory(target)
        for op in self.OPS:
            setattr(drv, op, self._timed(op, getattr(drv, op)))
        return drv

    def _timed(self, label: str, fn: Callable[..., object]) -> Callable[..., object]:
        def timed(*args: object, **kwargs: object) -> object:
            depth = getattr(self._depth, "n", 0)
            self._depth.n = depth + 1
            t0 = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth.n = depth
                if depth == 0:
                    with self._lock:
                        self.times[label].append(time.monotonic() - t0)

        return timed

    def table(self, devices: int) -> str:
        rows = ["operation | calls per device | median s | total s per device", "---|---|---|---"]
        for label, ts in self.times.items():
            rows.append(
                f"{label} | {len(ts) / devices:.1f} | {statistics.median(ts):.3f} | {sum(ts) / devices:.3f}"
            )
        return "\n".join(rows)


def infra_deploy(
    inv: Inventory, hosts: list[Host], state: StatePaths, profile: Profile | None = None
) -> list[float]:
    factory = profile.factory if profile else default_factory
    report = deploy(
        inv, hosts, DeployOptions(forks=FORKS, comment="bench"), state, intent=with_change, factory=factory
    )
    bad = {h: r.message for h, r in report.results.results.items() if not r.ok or not r.changed}
    if bad:
        raise RuntimeError(f"infra deploy did not apply the change everywhere: {bad}")
    return [r.duration_s for r in report.results.results.values()]


# ---- Ansible ---------------------------------------------------------------------------------
PLAYS = {
    "ios_config": """- hosts: routers
  gather_facts: false
  tasks:
    - cisco.ios.ios_config:
        lines: {lines}
        save_when: modified
""",
    "cli_config": """- hosts: routers
  gather_facts: false
  tasks:
    - ansible.netcommon.cli_config:
        config: {config}
    - ansible.netcommon.cli_command:
        command: write memory
""",
}


def ansible_setup(work: Path, hosts: list[Host], password: str) -> None:
    inv = {"routers": {"hosts": {h.name: {"ansible_host": str(h.mgmt_address)} for h in hosts}}}
    (work / f"hosts-{len(hosts)}.json").write_text(json.dumps({"all": {"children": inv}}))
    (work / "vars.json").write_text(
        json.dumps(
            {
                "ansible_connection": "ansible.netcommon.network_cli",
                "ansible_network_os": "cisco.ios.ios",
                "ansible_user": "admin",
                "ansible_password": password,
            }
        )
    )
    for name, play in PLAYS.items():
        text = play.format(lines=json.dumps(CHANGE), config=json.dumps("\n".join(CHANGE)))
        (work / f"{name}.yml").write_text(text)


def ansible_run(venv: Path, work: Path, play: str, n: int) -> None:
    env = {
        **os.environ,
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "300",
        "ANSIBLE_FORKS": str(FORKS),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
    }
    env.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    argv = [
        str(venv / "bin" / "ansible-playbook"),
        "-i",
        str(work / f"hosts-{n}.json"),
        "-e",
        f"@{work / 'vars.json'}",
        str(work / f"{play}.yml"),
    ]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=work)
    if proc.returncode != 0 or "failed=0" not in proc.stdout:
        raise RuntimeError(f"ansible {play} failed: {proc.stdout[-1500:]}")


def ensure_ansible_venv(venv: Path) -> None:
    """Make (or complete) the Ansible venv: a fresh machine needs nothing done by hand."""
    python = venv / "bin" / "python"
    probe = "import ansible_collections.cisco.ios, paramiko, pylibsshext"
    if python.exists() and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0:
        return
    print(f"deploy_bench: installing {' '.join(ANSIBLE_VENV_PACKAGES)} into {venv} ...", file=sys.stderr)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *ANSIBLE_VENV_PACKAGES], check=True)
    subprocess.run([str(python), "-c", probe], check=True)


# ---- the bench -------------------------------------------------------------------------------
def measure(fn: Callable[[], list[float] | None], n: int) -> dict[str, float]:
    c0, t0 = cpu(), time.monotonic()
    per = fn()
    wall = time.monotonic() - t0
    return {
        "wall": wall,
        "cpu": cpu() - c0,
        "per_device": statistics.median(per) if per else wall * min(FORKS, n) / n,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sizes", default="20,50")
    ap.add_argument(
        "--ansible",
        type=Path,
        default=ROOT / "build" / "bench-ansible",
        help="the venv of the Ansible columns (made on first use: ansible, paramiko, ansible-pylibssh)",
    )
    ap.add_argument("--no-ansible", action="store_true", help="skip the Ansible columns")
    ap.add_argument(
        "--take-down",
        action="store_true",
        help="take an up lab down first and bring the example province's lab back up at the end",
    )
    ap.add_argument("--tools", default="infra,raw,cli_config,ios_config", help="which clients to run")
    ap.add_argument("--profile", action="store_true", help="time infra's driver operations per device")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("deploy_bench: needs root (the lab)", file=sys.stderr)
        return 2
    have_ansible = not args.no_ansible
    if have_ansible:
        ensure_ansible_venv(args.ansible)
    fd = os.open(TEST_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    was_up = bool(lab_namespaces())
    if was_up and args.take_down:
        lab_down()
    if lab_namespaces():
        print(
            "deploy_bench: the lab is up; run `infra lab down` first (the bench builds its own)",
            file=sys.stderr,
        )
        return 2
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="deploy-bench-"))
    try:
        synth = tmp / "province"
        shape = Shape(departments=19, communes=19, vc_endpoints=0, ups=0, pdus=0, env_sensors=0)
        generate(synth, shape, name="Synthetic 50-router province", lab=True)
        vault = ROOT / "inventory" / "group_vars" / "all" / "vault.yml"
        (synth / "group_vars" / "all" / "vault.yml").write_text(vault.read_text())
        inv = load_inventory(synth)
        routers = [h for h in inv.hosts.values() if h.is_network_device]
        print(f"lab up: {len(routers)} routers ...", file=sys.stderr)
        lab_up(inv, wait=180)
        for h in routers:  # the WAN-VPN hub runs OSPF on ~40 interfaces (see docs/deploy.md)
            subprocess.run(
                [*ns_argv(h.name, mount=False), "sysctl", "-qw", "net.ipv4.igmp_max_memberships=512"],
                check=True,
            )
        password = inv.secret(inv.credentials.device_password).reveal()
        state = StatePaths.from_env(tmp / "state")
        t0 = time.monotonic()
        rep = deploy(inv, routers, DeployOptions(forks=FORKS, comment="converge"), state)
        print(f"converged in {time.monotonic() - t0:.1f} s: {rep.results.counts()}", file=sys.stderr)
        if rep.results.failed:
            print({h: r.message for h, r in rep.results.results.items() if not r.ok}, file=sys.stderr)
        work = tmp / "ansible"
        work.mkdir()
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        profiles: dict[int, Profile] = defaultdict(Profile)
        every: dict[str, Callable[[list[Host]], list[float] | None]] = {
            "infra": lambda hs: infra_deploy(inv, hs, state, profiles[len(hs)] if args.profile else None),
            "raw": lambda hs: raw_all(hs, password, CHANGE),
        }
        if have_ansible:
            every["ios_config"] = lambda hs: ansible_run(args.ansible, work, "ios_config", len(hs))
            every["cli_config"] = lambda hs: ansible_run(args.ansible, work, "cli_config", len(hs))
        label = {
            "infra": "infra deploy",
            "raw": "raw paramiko push",
            "ios_config": "ansible ios_config",
            "cli_config": "ansible cli_config",
        }
        tools = {label[t]: every[t] for t in args.tools.split(",") if t in every}
        for n in sizes:
            hosts = routers[:n]
            ansible_setup(work, hosts, password)
            for r in range(args.rounds):
                for name, fn in tools.items():
                    raw_all(hosts, password, UNDO)  # every tool starts from the same state (not timed)
                    m = measure(lambda fn=fn, hosts=hosts: fn(hosts), n)  # type: ignore[misc]
                    results.setdefault((name, n), []).append(m)
                    print(
                        f"  round {r + 1} {n} routers {name}: {m['wall']:.1f} s wall, {m['cpu']:.1f} s CPU,"
                        f" load {os.getloadavg()[0]:.1f}",
                        file=sys.stderr,
                    )
        raw_all(routers, password, UNDO)
        print(
            f"\n{len(routers)} FRR routers in the lab, forks {FORKS}, {len(CHANGE)} lines + save, "
            f"medians of {args.rounds} rounds, {os.cpu_count()} cores\n"
        )
        print(
            "routers | client | wall s | client CPU s | per device s | ÷ raw"
            " | Ansible cli_config ÷ this | Ansible ios_config ÷ this"
        )
        print("---|---|---|---|---|---|---|---")
        for n in sizes:
            med = {
                name: {
                    k: statistics.median(m[k] for m in results[(name, n)])
                    for k in ("wall", "cpu", "per_device")
                }
                for name in tools
            }
            raw = med.get("raw paramiko push", {}).get("wall")
            cli = med.get("ansible cli_config", {}).get("wall")
            ios = med.get("ansible ios_config", {}).get("wall")
            for name, m in med.items():
                ratios = [f"{m['wall'] / raw:.2f}" if raw else "-"]
                ratios += [f"{x / m['wall']:.1f}" if x else "-" for x in (cli, ios)]
                print(
                    f"{n} | {name} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['per_device']:.1f} | "
                    + " | ".join(ratios)
                )
        print(
            "\ngoals for infra deploy (backup, diff, verification included) at 50 routers: <= 1.5x the"
            " raw push, >= 8x faster than Ansible cli_config"
        )
        for n, prof in sorted(profiles.items()):
            print(f"\ninfra deploy, {n} routers: where the time goes per device (all rounds)\n")
            print(prof.table(n * args.rounds))
    finally:
        lab_down()
        shutil.rmtree(tmp, ignore_errors=True)
        if was_up and args.take_down:  # leave the machine as it was: the example province's lab up
            print("bringing the example province's lab back up ...", file=sys.stderr)
            lab_up(load_inventory(ROOT / "inventory"), wait=180)
    return 0


if __name__ == "__main__":
    sys.exit(main())
