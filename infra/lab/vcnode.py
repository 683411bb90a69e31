"""A VC endpoint node: the codec's stand-in, on its agency's LAN behind the site's CPE.

- `eth1` on the LAN bridge with the endpoint's `service_address`, default route via the CPE's LAN
  address (wired by `up.py` like a server's `eth1`);
- sshd on the management address: the codec account (`credentials.codec_username`, password
  `codec_password` from the vault, or the lab key) lands in the codec's management shell, the
  RoomOS xAPI stand-in `infra.lab.codec.shell`;
- baresip, the real SIP user agent that shell drives (ctrl_tcp on 127.0.0.1:4444 inside the node);
- snmpd as for every SNMP node (`snmpnode.py`).

The codec shell runs as root in the node (it loads nft marks into the node's namespace), so the
codec account has uid 0 and sshd is held to that one use: only that account, no SFTP, no
forwarding of any kind, and the login shell feeds even `ssh codec CMD` to the codec shell as its
input (never to a Unix shell). A real codec's admin is equally all-powerful on the codec.

The node has its own mount and UTS namespaces. In them `/run` is a private tmpfs (sshd's
privilege-separation dir) into which only the node's own directory is bound back at its usual
path, so the same paths work inside and outside; lab copies of passwd/shadow carry the
codec account, whose home is the codec's state directory `<node dir>/codec`.

Everything that names the codec stand-in's commands (`infra.lab.codec`, docs/vc-lab-codec.md)
is in this module: `shell_argv`, `boot_argv`, `ua_argv`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra.inventory import Inventory
from infra.lab.files import write
from infra.lab.paths import REPO, node_dir
from infra.lab.plan import Node
from infra.lab.router import sshd_config

CODEC_SHELL = "infra.lab.codec.shell"  # python -m CODEC_SHELL --state <node dir>/codec
CODEC_BOOT = "infra.lab.codec.boot"  # python -m CODEC_BOOT --state DIR --lan-address A


def codec_dir(node: str) -> Path:
    """The codec's state: its settings, baresip's config dir (`baresip/`), logs and pid file."""
    return node_dir(node) / "codec"


def ua_pidfile(node: str) -> Path:
    return codec_dir(node) / "baresip.pid"


def shell_argv(node: str) -> list[str]:
    """The codec management shell the codec account's login runs (stdin/stdout are the SSH channel)."""
    return [sys.executable, "-m", CODEC_SHELL, "--state", str(codec_dir(node))]


def boot_argv(node: Node) -> list[str]:
    """Run (as root, in the node) before baresip starts: writes `codec/baresip` from the codec's
    persisted settings (factory values on first boot) and loads its QoS marks."""
    assert node.access is not None
    lan = str(node.access.ip)
    return [sys.executable, "-m", CODEC_BOOT, "--state", str(codec_dir(node.name)), "--lan-address", lan]


def ua_argv(node: str) -> list[str]:
    return ["baresip", "-f", str(codec_dir(node) / "baresip")]


def login_shell(node: str) -> str:
    """The account's login shell. sshd runs it with no argument for an interactive session, and
    as `-c COMMAND` for `ssh codec COMMAND`, which becomes the codec shell's only input line."""
    argv = " ".join(f"'{a}'" for a in shell_argv(node))
    return f"""#!/bin/sh
# login shell of the codec account: the codec's management CLI stand-in
cd {codec_dir(node)}
export PYTHONPATH={REPO}
if [ "$1" = -c ]; then
  printf '%s\\n' "$2" | {argv}
  exit $?
fi
exec {argv}
"""


def _accounts(username: str, password_hash: str, shell: Path, home: Path) -> tuple[str, str]:
    """The codec account: uid 0 (see the module's docstring), its own home and login shell."""
    passwd = Path("/etc/passwd").read_text() + f"{username}:x:0:0:codec admin:{home}:{shell}\n"
    shadow = Path("/etc/shadow").read_text() + f"{username}:{password_hash}:19000:0:99999:7:::\n"
    return passwd, shadow


def codec_sshd_config(node: Node, username: str) -> str:
    """The routers' sshd settings, held to the codec shell: the account has uid 0 (so root login
    must be allowed for it, and AllowUsers keeps `root` itself out), no SFTP, no forwarding."""
    base = sshd_config(node, str(node_dir(node.name) / "sshd.pid"), admin=username)
    lines = [ln for ln in base.splitlines() if not ln.startswith(("PermitRootLogin", "Subsystem"))]
    lines += ["PermitRootLogin yes", "DisableForwarding yes", "PermitTunnel no", "PermitUserEnvironment no"]
    return "\n".join(lines) + "\n"


def write_vc_files(inv: Inventory, node: Node, password_hash: str) -> None:
    """sshd's config, the accounts with the codec user, its login shell and the codec's state dir
    (baresip's config is written by the codec's boot step; snmpd's files by `snmpnode`)."""
    d, c = node_dir(node.name), codec_dir(node.name)
    c.mkdir(mode=0o700, exist_ok=True)
    user = inv.credentials.codec_username
    shell = d / "codec-shell"
    write(shell, login_shell(node.name), 0o755)
    passwd, shadow = _accounts(user, password_hash, shell, c)
    write(d / "passwd", passwd, 0o644, keep=True)
    write(d / "shadow", shadow, 0o640, keep=True)
    write(d / "sshd_config", codec_sshd_config(node, user), 0o600)


def mount_script(node: Node) -> str:
    """Run once, inside the node's new mount and UTS namespaces: a private /run holding only the
    node's own directory (bound back from the working directory once /run is covered)."""
    d = node_dir(node.name)
    return f"""set -e
hostname {node.name}
cd {d}
mount -t tmpfs -o mode=0755,size=16m infra-lab-{node.name} /run
mkdir -p /run/sshd {d}
mount --no-canonicalize --bind . {d}  # "." is the covered node dir: no realpath
cd /
mount --bind {d}/passwd /etc/passwd
mount --bind {d}/shadow /etc/shadow
"""


def ensure_script(node: Node) -> str:
    """Idempotent (inside the node): sshd; the codec's boot then baresip, if baresip is not running."""
    d, c = node_dir(node.name), codec_dir(node.name)
    script = f"""set -e
alive() {{ [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }}
alive {d}/sshd.pid || /usr/sbin/sshd -f {d}/sshd_config -E {d}/sshd.log
"""
    if "baresip" not in node.daemons:
        return script
    boot, ua = " ".join(boot_argv(node)), " ".join(ua_argv(node.name))
    return script + (
        f"if ! alive {ua_pidfile(node.name)}; then\n"
        f"  cd {c}\n"
        f"  PYTHONPATH={REPO} {boot} >>{c}/boot.log 2>&1 ||\n"
        f"    {{ echo 'codec boot failed: see {c}/boot.log' >&2; exit 1; }}\n"
        f"  {ua} >>{c}/baresip.log 2>&1 </dev/null &\n"
        f"  echo $! >{ua_pidfile(node.name)}\n"
        "fi\n"
    )
