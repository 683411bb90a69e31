"""A throwaway FRR 8.4 router that the real FRR driver reaches over SSH, built the way the lab
builds a router node (infra/lab/router.py) but outside the lab: its own network, mount and UTS
namespaces (`scratch-knobs-*`), a private directory bound over /etc/frr, /run and the account
files, an `admin` whose login shell is vtysh, and sshd on a /30 veth from the root namespace
(169.254.0.0/16, link-local: nothing routes it anywhere). The 53-node lab is neither needed
nor touched. Everything is stopped by pid and the namespace deleted on exit.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from signal import SIGKILL, SIGTERM

from infra.drivers import DeviceTarget
from infra.inventory.secrets import Secret
from infra.lab.router import _accounts, _hash_password
from tests.render.frr_scratch import _stub_interfaces
from tests.render.frr_scratch import available as frr_available

PREFIX = "scratch-knobs-"
_SERIAL = itertools.count()
USER = "admin"
DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
SNMP = ("zebra", "ospfd", "bgpd")  # `-M snmp`, as the lab starts them, so `agentx` is a command


def available() -> str | None:
    why = frr_available()
    if why is None and not Path("/usr/sbin/sshd").exists():
        why = "OpenSSH server is not installed"
    return why


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)


def day0(hostname: str) -> str:
    """What the lab's routers boot with (infra/lab/router.py management_config)."""
    return (
        f"frr defaults traditional\nhostname {hostname}\nlog syslog informational\n"
        "service integrated-vtysh-config\n!\ninterface mgmt0\n description out-of-band management\n"
        "!\nagentx\n!\nline vty\n!\n"
    )


def _sshd_config(address: str, rundir: Path) -> str:
    return "\n".join(
        [
            f"ListenAddress {address}",
            f"HostKey {rundir}/ssh_host_ed25519_key",
            "PidFile /run/lab/sshd.pid",
            "UsePAM no",
            "PermitRootLogin no",
            f"AllowUsers {USER}",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "",
        ]
    )


def _files(rundir: Path, hostname: str, address: str, password: str) -> None:
    import grp
    import pwd

    frr_uid, frr_gid = pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    rundir.chmod(0o755)
    for sub in ("etc-frr", "run/frr", "run/sshd", "run/lab"):
        (rundir / sub).mkdir(parents=True)
    (rundir / "run/sshd").chmod(0o755)
    (rundir / "etc-frr/frr.conf").write_text(day0(hostname), encoding="utf-8")
    (rundir / "etc-frr/vtysh.conf").write_text(
        f"service integrated-vtysh-config\nusername {USER} nopassword\n", encoding="utf-8"
    )
    for d in ("etc-frr", "run/frr"):
        for p in (rundir / d, *(rundir / d).iterdir()):
            os.chown(p, frr_uid, frr_gid)
        (rundir / d).chmod(0o775)
    passwd, group, shadow = _accounts(USER, _hash_password(password))
    (rundir / "passwd").write_text(passwd, encoding="utf-8")
    (rundir / "group").write_text(group, encoding="utf-8")
    (rundir / "shadow").write_text(shadow, encoding="utf-8")
    (rundir / "shadow").chmod(0o640)
    (rundir / "run/lab/sshd_config").write_text(_sshd_config(address, rundir), encoding="utf-8")
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(rundir / "ssh_host_ed25519_key"))


def _start_script(hostname: str, rundir: Path) -> str:
    starts = "\n".join(
        f"/usr/lib/frr/{d} -d -F traditional -A 127.0.0.1{' -M snmp' if d in SNMP else ''}" for d in DAEMONS
    )
    waits = " ".join(f"/run/frr/{d}.vty" for d in DAEMONS)
    return f"""set -e
hostname {hostname}
mount --bind {rundir}/etc-frr /etc/frr
mount --bind {rundir}/passwd /etc/passwd
mount --bind {rundir}/group /etc/group
mount --bind {rundir}/shadow /etc/shadow
mount --bind {rundir}/run /run
{starts}
for i in $(seq 200); do
  ok=1; for f in {waits}; do [ -S "$f" ] || ok=; done; [ -n "$ok" ] && break; sleep 0.05
done
vtysh -b >/run/lab/vtysh-boot.log 2>&1 || true
/usr/sbin/sshd -f /run/lab/sshd_config
"""


def _wait_ssh(address: str, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, 22), timeout=2) as s:
                if s.recv(4).startswith(b"SSH"):
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd of the scratch router at {address} never answered") from None
            time.sleep(0.1)


def _stop(netns: str, rundir: Path) -> None:
    for sig in (SIGTERM, SIGKILL):
        pids = _run("ip", "netns", "pids", netns, check=False).stdout.split()
        for pid in pids:
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), sig)
        deadline = time.monotonic() + 5
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = _run("ip", "netns", "pids", netns, check=False).stdout.split()
    _run("ip", "netns", "del", netns, check=False)
    shutil.rmtree(rundir, ignore_errors=True)


@contextmanager
def scratch_router(hostname: str, interfaces: list[str], tag: str) -> Iterator[DeviceTarget]:
    """A scratch FRR with the given (unconnected) interfaces; yields how the driver logs in."""
    netns = f"{PREFIX}{tag}"
    n = next(_SERIAL)
    # one /30 per router of this process: 169.254.<pid-derived>.<4n>/30
    third, fourth = os.getpid() % 200 + 20, (n % 63) * 4
    root_if = f"scrk{os.getpid() % 100000}-{n}"[:15]
    ours, theirs = f"169.254.{third}.{fourth + 1}", f"169.254.{third}.{fourth + 2}"
    password = secrets.token_urlsafe(12)
    rundir = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        _files(rundir, hostname, theirs, password)
        _run("ip", "netns", "add", netns)
        _run("ip", "-n", netns, "link", "set", "lo", "up")
        _run(
            "ip",
            "netns",
            "exec",
            netns,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
            "net.ipv4.igmp_max_memberships=512",
        )
        _run("ip", "link", "add", root_if, "type", "veth", "peer", "name", "mgmt0", "netns", netns)
        _run("ip", "addr", "add", f"{ours}/30", "dev", root_if)
        _run("ip", "link", "set", root_if, "up")
        _run("ip", "-n", netns, "addr", "add", f"{theirs}/30", "dev", "mgmt0")
        _run("ip", "-n", netns, "link", "set", "mgmt0", "up")
        _stub_interfaces(netns, [i for i in interfaces if i not in ("lo", "mgmt0")])
        script = _start_script(hostname, rundir)
        _run("ip", "netns", "exec", netns, "unshare", "--mount", "--uts", "--propagation", "private",
             "sh", "-c", script)  # fmt: skip
        _wait_ssh(theirs)
        yield DeviceTarget(
            host=hostname,
            address=theirs,
            username=USER,
            password=Secret(password),
            platform="frr",
            timeout=30,
            hidden=(password,),
        )
    finally:
        _stop(netns, rundir)
        _run("ip", "link", "del", root_if, check=False)
