"""push_offsite(): the backup repository pushed to its second remote with real git, over a file
remote (the logic) and over a real OpenSSH server on loopback (keys, host keys, a git-shell-only
account, a dead server). Every failure is one line naming the remote and the cause, masked, and
the local commit stays."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.backup.offsite import push_offsite
from infra.inventory import Inventory, load_inventory
from infra.state.backups import BackupRepo
from tests.inventory.helpers import copy_inventory, edit_yaml
from tests.ports import free_port, port_in_use


def git(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def bare(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def inventory_with(tmp_path: Path, offsite: dict[str, Any]) -> Inventory:
    inv_dir = copy_inventory(tmp_path)
    edit_yaml(
        inv_dir / "group_vars" / "all" / "backup.yml", lambda d: d["backup"].__setitem__("offsite", offsite)
    )
    return load_inventory(inv_dir)


def backed_up(tmp_path: Path, text: str = "hostname r1\n") -> BackupRepo:
    repo = BackupRepo(tmp_path / "backups").init()
    repo.write("r1", text)
    assert repo.commit("backup run 1: 1 changed: r1")
    return repo


def test_the_off_site_repository_gets_the_same_head(tmp_path: Path) -> None:
    remote = bare(tmp_path / "offsite.git")
    inv = inventory_with(tmp_path, {"url": str(remote)})
    repo = backed_up(tmp_path)
    assert push_offsite(inv, repo) is None
    assert git(remote, "rev-parse", "main") == git(repo.path, "rev-parse", "HEAD")
    repo.write("r1", "hostname r1\nbanner motd x\n")
    repo.commit("backup run 2: 1 changed: r1")
    assert push_offsite(inv, repo) is None
    assert git(remote, "rev-parse", "main") == git(repo.path, "rev-parse", "HEAD")
    assert git(remote, "rev-list", "--count", "main") == "2"


def test_nothing_is_pushed_before_the_first_backup(tmp_path: Path) -> None:
    remote = bare(tmp_path / "offsite.git")
    inv = inventory_with(tmp_path, {"url": str(remote)})
    assert push_offsite(inv, BackupRepo(tmp_path / "none")) is None
    assert push_offsite(inv, BackupRepo(tmp_path / "empty").init()) is None
    assert not git(remote, "for-each-ref")


def test_no_remote_in_the_inventory_pushes_nothing(tmp_path: Path) -> None:
    inv_dir = copy_inventory(tmp_path)
    (inv_dir / "group_vars" / "all" / "backup.yml").unlink()
    assert push_offsite(load_inventory(inv_dir), backed_up(tmp_path)) is None


def test_a_wrong_path_is_one_line_naming_remote_and_cause_and_the_commit_stays(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "offsite.git"
    inv = inventory_with(tmp_path, {"url": str(missing)})
    repo = backed_up(tmp_path)
    head = git(repo.path, "rev-parse", "HEAD")
    msg = push_offsite(inv, repo)
    assert msg is not None and "\n" not in msg
    assert msg.startswith(f"off-site push to {missing} failed: ")
    assert "does not appear to be a git repository" in msg
    assert "make sure you have the correct access rights" not in msg  # git's generic advice left out
    assert git(repo.path, "rev-parse", "HEAD") == head and not git(repo.path, "status", "--porcelain")


def test_a_remote_with_other_history_is_refused_never_overwritten(tmp_path: Path) -> None:
    remote = bare(tmp_path / "offsite.git")
    other = backed_up(tmp_path / "other", "hostname other\n")
    git(other.path, "push", "-q", str(remote), "HEAD:refs/heads/main")
    theirs = git(remote, "rev-parse", "main")
    inv = inventory_with(tmp_path, {"url": str(remote)})
    msg = push_offsite(inv, backed_up(tmp_path))
    assert msg is not None and "refused the update" in msg and "history differs" in msg, msg
    assert git(remote, "rev-parse", "main") == theirs


def test_a_secret_in_the_cause_is_masked(tmp_path: Path) -> None:
    inv_dir = copy_inventory(tmp_path)
    inv = load_inventory(inv_dir)
    secret = inv.secret(inv.credentials.device_password).reveal()
    where = tmp_path / f"x{secret}" / "offsite.git"
    edit_yaml(
        inv_dir / "group_vars" / "all" / "backup.yml",
        lambda d: d["backup"].__setitem__("offsite", {"url": str(where)}),
    )
    inv = load_inventory(inv_dir)
    inv.secrets.resolve_all()
    msg = push_offsite(inv, backed_up(tmp_path))
    assert msg is not None and secret not in msg and "<secret>" in msg, msg


def test_a_server_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts the connection (kernel backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        inv = inventory_with(tmp_path, {"url": f"ssh://git@127.0.0.1:{port}/srv/x.git", "timeout": 5})
        repo = backed_up(tmp_path)
        start = time.monotonic()
        msg = push_offsite(inv, repo)
        took = time.monotonic() - start
    assert msg is not None and "no answer within 5 s (backup.offsite.timeout)" in msg, msg
    assert f"ssh://git@127.0.0.1:{port}/srv/x.git" in msg
    assert took < 9, took
    # no ssh left behind
    assert str(port) not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


# ---- over a real OpenSSH server ------------------------------------------------------------------


@dataclass
class Sshd:
    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    key: Path  # the authorized client key
    known_hosts: Path  # pins this server's host key

    def stop(self) -> None:
        self.proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def _start_sshd(root: Path, port: int) -> Sshd:
    config = root / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\nHostKey {root / 'host_key'}\nPidFile {root / 'sshd.pid'}\n"
        "UsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nAuthorizedKeysFile {root / 'authorized_keys'}\n"
        "PrintMotd no\nPrintLastLog no\nUseDNS no\nStrictModes no\n"
    )
    log = root / "sshd.log"
    # privilege separation wants /run/sshd: a private /run in a mount namespace of its own
    script = f"mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -e -f {config}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script], stdout=out, stderr=out
        )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        with socket.socket() as s, suppress(OSError):
            s.settimeout(0.5)
            s.connect(("127.0.0.1", port))
            if s.recv(4).startswith(b"SSH-"):
                return Sshd(root, port, proc, root / "id", root / "known_hosts")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"sshd on 127.0.0.1:{port} did not answer within 15 s")


@pytest.fixture
def sshd() -> Iterator[Sshd]:
    if os.geteuid() != 0 or not Path("/usr/sbin/sshd").exists() or shutil.which("unshare") is None:
        pytest.skip("needs root and OpenSSH's sshd")
    root = Path(tempfile.mkdtemp(prefix="infra-offsite-"))
    root.chmod(0o700)
    server: Sshd | None = None
    try:
        for name in ("host_key", "id", "stranger"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / name)], check=True
            )
        # the off-site account's restriction: no shell, no forwarding, git-shell only
        pub = (root / "id.pub").read_text().strip()
        (root / "authorized_keys").write_text(
            f'restrict,command="/usr/bin/git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" {pub}\n'
        )
        for attempt in range(3):
            port = free_port()
            (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {(root / 'host_key.pub').read_text()}")
            try:
                server = _start_sshd(root, port)
                break
            except RuntimeError as exc:
                if attempt == 2 or not port_in_use(str(exc)):
                    raise
        assert server is not None
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def over_ssh(tmp_path: Path, server: Sshd, **change: str) -> tuple[Inventory, Path]:
    remote = bare(tmp_path / "offsite.git")
    offsite = {
        "url": f"ssh://root@127.0.0.1:{server.port}{remote}",
        "identity_file": str(server.key),
        "known_hosts": str(server.known_hosts),
        "timeout": 30,
        **change,
    }
    return inventory_with(tmp_path, offsite), remote


def test_pushed_over_ssh_with_a_pinned_host_key_and_a_git_shell_only_key(tmp_path: Path, sshd: Sshd) -> None:
    inv, remote = over_ssh(tmp_path, sshd)
    repo = backed_up(tmp_path)
    assert push_offsite(inv, repo) is None
    assert git(remote, "rev-parse", "main") == git(repo.path, "rev-parse", "HEAD")
    # the same key gets no shell: git-shell refuses anything but git's own commands
    shell = subprocess.run(
        ["ssh", "-p", str(sshd.port), "-i", str(sshd.key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", f"UserKnownHostsFile={sshd.known_hosts}", "root@127.0.0.1", "id"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert shell.returncode != 0 and "uid=" not in shell.stdout


def test_a_key_the_server_does_not_know_is_permission_denied(tmp_path: Path, sshd: Sshd) -> None:
    inv, remote = over_ssh(tmp_path, sshd, identity_file=str(sshd.root / "stranger"))
    msg = push_offsite(inv, backed_up(tmp_path))
    assert msg is not None and "Permission denied (publickey)" in msg and f":{sshd.port}" in msg, msg
    assert not git(remote, "for-each-ref")


def test_a_host_key_that_changed_is_refused(tmp_path: Path, sshd: Sshd) -> None:
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {(sshd.root / 'stranger.pub').read_text()}")
    inv, remote = over_ssh(tmp_path, sshd, known_hosts=str(wrong))
    msg = push_offsite(inv, backed_up(tmp_path))
    assert msg is not None and "Host key verification failed" in msg, msg
    assert not git(remote, "for-each-ref")


def test_a_stopped_server_is_connection_refused_and_the_commit_stays(tmp_path: Path, sshd: Sshd) -> None:
    inv, _ = over_ssh(tmp_path, sshd)
    repo = backed_up(tmp_path)
    head = git(repo.path, "rev-parse", "HEAD")
    sshd.stop()
    msg = push_offsite(inv, repo)
    assert msg is not None and "\n" not in msg
    assert f"off-site push to ssh://root@127.0.0.1:{sshd.port}" in msg and "Connection refused" in msg, msg
    assert git(repo.path, "rev-parse", "HEAD") == head
