"""A router node: FRR (the stand-in for FRR, Cisco IOS and Huawei VRP devices), sshd whose
`admin` login lands in vtysh, and snmpd as AgentX master so FRR serves BGP4-MIB and OSPF-MIB.

Inside the node's own mount namespace the node directory is bound over `/etc/frr`, `/run`,
`/var/agentx` and lab copies of `/etc/passwd`, `/etc/group`, `/etc/shadow`, so every tool
works with its default paths.
"""

from __future__ import annotations

import grp
import pwd
import warnings
from pathlib import Path

from infra.inventory import Inventory
from infra.lab.files import chown_tree, snmp_quote, write
from infra.lab.paths import AUTHORIZED_KEYS, HOST_KEY, node_dir
from infra.lab.plan import Node

ADMIN_UID = 2601


def _hash_password(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


def _accounts(username: str, password_hash: str) -> tuple[str, str, str]:
    passwd = Path("/etc/passwd").read_text()
    group = Path("/etc/group").read_text()
    shadow = Path("/etc/shadow").read_text()
    frrvty = grp.getgrnam("frrvty").gr_gid
    passwd += f"{username}:x:{ADMIN_UID}:{frrvty}:lab device admin:/etc/frr:/usr/bin/vtysh\n"
    lines = []
    for line in group.splitlines():
        name, _, gid, members = line.split(":", 3)
        if name in ("frrvty", "frr"):
            members = ",".join(m for m in (members, username) if m)
        lines.append(f"{name}:x:{gid}:{members}")
    shadow += f"{username}:{password_hash}:19000:0:99999:7:::\n"
    return passwd, "\n".join(lines) + "\n", shadow


FRR_OPTIONS = {
    "zebra": "-A 127.0.0.1 -s 90000000 -M snmp",
    "staticd": "-A 127.0.0.1",
    "ospfd": "-A 127.0.0.1 -M snmp",
    "bgpd": "-A 127.0.0.1 -M snmp",
}


def frr_daemons(node: Node) -> list[str]:
    return [d for d in node.daemons if d in FRR_OPTIONS]


def daemons_file(node: Node) -> str:
    """/etc/frr/daemons as the Debian package has it, so `frrinit.sh restart` in a node works too."""
    lines = [f"{d}=yes" for d in frr_daemons(node) if d != "zebra"]
    lines += ["vtysh_enable=yes"] + [f'{d}_options="{o}"' for d, o in FRR_OPTIONS.items()]
    return "\n".join(lines) + "\n"


def management_config(inv: Inventory, node: Node) -> str:
    """The day-0 configuration: hostname, logging, vty and AgentX. The rest is deployed."""
    return "\n".join(
        [
            "frr defaults traditional",
            f"hostname {node.name}",
            "log syslog informational",
            "service integrated-vtysh-config",
            "!",
            "interface mgmt0",
            " description out-of-band management",
            "!",
            "agentx",
            "!",
            "line vty",
            "!",
            "",
        ]
    )


def snmpd_config(inv: Inventory, node: Node) -> str:
    c = inv.credentials
    auth = inv.secret(c.snmpv3_auth_password).reveal()
    priv = inv.secret(c.snmpv3_priv_password).reveal()
    assert node.mgmt is not None
    return "\n".join(
        [
            f"agentaddress udp:{node.mgmt.ip}:161",
            "master agentx",
            "agentXSocket /var/agentx/master",
            "agentXPerms 777 777",
            f"createUser {c.snmpv3_user} SHA {snmp_quote(auth)} AES {snmp_quote(priv)}",
            f"rouser {c.snmpv3_user} priv",
            f"sysName {node.name}",
            f"sysLocation {inv.baseline.snmp_location or node.site}",
            f"sysContact {inv.baseline.snmp_contact or 'noc'}",
            "sysServices 78",
            "",
        ]
    )


def sshd_config(node: Node, pidfile: str, *, admin: str) -> str:
    assert node.mgmt is not None
    return "\n".join(
        [
            f"ListenAddress {node.mgmt.ip}",
            f"HostKey {HOST_KEY}",
            f"PidFile {pidfile}",
            "UsePAM no",
            "PermitRootLogin no",
            f"AllowUsers {admin}",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {AUTHORIZED_KEYS}",
            "StrictModes no",
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def write_router_files(inv: Inventory, node: Node, password_hash: str) -> None:
    d = node_dir(node.name)
    admin = inv.credentials.device_username
    frr_uid, frr_gid = pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid
    for sub in ("etc-frr", "run/frr", "run/sshd", "run/wireguard", "run/lab/snmp", "agentx"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "run/sshd").chmod(0o755)
    write(d / "etc-frr/daemons", daemons_file(node), 0o640)
    write(d / "etc-frr/frr.conf", management_config(inv, node), 0o640, keep=True)
    write(d / "etc-frr/vtysh.conf", f"service integrated-vtysh-config\nusername {admin} nopassword\n", 0o640)
    chown_tree(d / "etc-frr", frr_uid, frr_gid)
    chown_tree(d / "run/frr", frr_uid, frr_gid)
    passwd, group, shadow = _accounts(admin, password_hash)
    write(d / "passwd", passwd, 0o644, keep=True)
    write(d / "group", group, 0o644, keep=True)
    write(d / "shadow", shadow, 0o640, keep=True)
    write(d / "run/lab/snmpd.conf", snmpd_config(inv, node), 0o600)
    write(d / "run/lab/sshd_config", sshd_config(node, "/run/lab/sshd.pid", admin=admin), 0o600)


def mount_script(node: Node) -> str:
    """Run once, inside the node's new mount and UTS namespaces."""
    d = node_dir(node.name)
    return f"""set -e
hostname {node.name}
mount --bind {d}/etc-frr /etc/frr
mount --bind {d}/passwd /etc/passwd
mount --bind {d}/group /etc/group
mount --bind {d}/shadow /etc/shadow
mount --bind {d}/agentx /var/agentx
mount --bind {d}/run /run
"""


def ensure_script(node: Node) -> str:
    """Idempotent: starts whatever of the node's daemons is not running (inside the node).
    FRR daemons are started directly (not through frrinit.sh, which costs ~0.5 s more per node),
    then watchfrr (it makes `write memory` work) and `vtysh -b` to apply /etc/frr/frr.conf."""
    daemons = frr_daemons(node)
    starts = "".join(
        f"alive /run/frr/{d}.pid || {{ /usr/lib/frr/{d} -d -F traditional {FRR_OPTIONS[d]}; started=1; }}\n"
        for d in daemons
    )
    return f"""set -e
alive() {{ [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }}
export MIBS=
sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
# a hub runs OSPF on one interface per spoke: Linux lets a socket join only 20 multicast groups
sysctl -qw net.ipv4.igmp_max_memberships=1024
alive /run/lab/snmpd.pid || SNMP_PERSISTENT_DIR=/run/lab/snmp snmpd -C -c /run/lab/snmpd.conf \\
  -p /run/lab/snmpd.pid -Lf /run/lab/snmpd.log
started=
{starts}alive /run/frr/watchfrr.pid || /usr/lib/frr/watchfrr -d -F traditional {" ".join(daemons)}
if [ -n "$started" ]; then vtysh -b >/run/lab/vtysh-boot.log 2>&1 || true; fi
alive /run/lab/sshd.pid || /usr/sbin/sshd -f /run/lab/sshd_config
"""
