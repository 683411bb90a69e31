"""A Linux server node: the host's `/` as the lower layer of an overlay whose upper layer is a
tmpfs, and sshd chrooted into it. Ansible changes the server for real; the host stays untouched
and everything written disappears with `down`."""

from __future__ import annotations

from pathlib import Path

from infra.lab.files import write
from infra.lab.paths import AUTHORIZED_KEYS, HOST_KEY, node_dir
from infra.lab.plan import Node

OVERLAY_SIZE = "1g"
# The checkout this lab runs from. A server sees the host's `/` except /tmp and /run (its own
# tmpfs): a checkout there is bound in read-only, so the project's tools (its venv's
# infra-snmp-exporter for the monitoring role) are on the servers as on the host.
PROJECT = Path(__file__).resolve().parents[2]


def sshd_config(node: Node) -> str:
    assert node.mgmt is not None
    return "\n".join(
        [
            f"ListenAddress {node.mgmt.ip}",
            "HostKey /etc/ssh/lab_host_key",
            "PidFile /run/sshd.pid",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            # each account's own file, as on a Debian server (root's is /root/.ssh/authorized_keys):
            # role backup_target's git-shell account logs in with its own key
            "AuthorizedKeysFile .ssh/authorized_keys",
            "MaxStartups 100:30:200",
            "PrintMotd no",
            "UseDNS no",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def write_server_files(node: Node) -> None:
    d = node_dir(node.name)
    (d / "root").mkdir(parents=True, exist_ok=True)
    (d / "rw").mkdir(parents=True, exist_ok=True)
    write(d / "files/sshd_config", sshd_config(node), 0o600)


def mount_script(node: Node) -> str:
    """Run once, inside the node's new mount and UTS namespaces."""
    d = node_dir(node.name)
    r = d / "root"
    return f"""set -e
hostname {node.name}
mount -t tmpfs -o size={OVERLAY_SIZE},mode=0755 infra-lab-{node.name} {d}/rw
mkdir -p {d}/rw/upper {d}/rw/work
mount -t overlay overlay -o lowerdir=/,upperdir={d}/rw/upper,workdir={d}/rw/work {r}
mount --rbind /dev {r}/dev
mount -t proc proc {r}/proc
mount -t sysfs sysfs {r}/sys
mount -t tmpfs -o mode=0755 tmpfs {r}/run
mount -t tmpfs -o mode=1777 tmpfs {r}/tmp
{_bind_project(r)}mkdir -p {r}/run/sshd {r}/root/.ssh
chmod 0700 {r}/root/.ssh
cp {AUTHORIZED_KEYS} {r}/root/.ssh/authorized_keys
cp {HOST_KEY} {r}/etc/ssh/lab_host_key
chmod 0600 {r}/etc/ssh/lab_host_key
cp {d}/files/sshd_config {r}/etc/ssh/sshd_config.lab
echo {node.name} > {r}/etc/hostname
"""


def _bind_project(r: Path) -> str:
    if not str(PROJECT).startswith(("/tmp/", "/run/")):
        return ""
    return f"mkdir -p {r}{PROJECT}\nmount --bind -o ro {PROJECT} {r}{PROJECT}\n"


def ensure_script(node: Node) -> str:
    d = node_dir(node.name)
    r = d / "root"
    return f"""set -e
if ! cmp -s {d}/files/sshd_config {r}/etc/ssh/sshd_config.lab; then
  # a lab that was up before the configuration changed: take it, and have sshd re-read it
  cp {d}/files/sshd_config {r}/etc/ssh/sshd_config.lab
  if [ -f {r}/run/sshd.pid ]; then kill -HUP "$(cat {r}/run/sshd.pid)" 2>/dev/null || true; fi
fi
if ! {{ [ -f {r}/run/sshd.pid ] && kill -0 "$(cat {r}/run/sshd.pid)" 2>/dev/null; }}; then
  chroot {r} /usr/sbin/sshd -f /etc/ssh/sshd_config.lab
fi
"""
