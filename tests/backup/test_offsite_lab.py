"""The off-site copy in the lab (issue 15, point 3): role backup_target converges the log server
(srv-log-1) over real SSH; the backup repository is pushed there with the lab's key and the bare
repository has the same HEAD; its account runs git and nothing else, and refuses a rewrite of the
history; a broken remote fails in one line naming it and the local commit stays.

`push_offsite` is called after a commit made with BackupRepo, as `infra backup` does after its
run. The end-to-end `infra backup` assertions run once that command is built (part H1)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.backup.offsite import push_offsite, ssh_command
from infra.inventory import Inventory, load_inventory
from infra.state.backups import BackupRepo
from tests.backup.conftest import LOG, empty_offsite, on_log_server, remote_path
from tests.conftest import LAB_SECRETS
from tests.inventory.helpers import copy_inventory, edit_yaml

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def remote_head(inv: Inventory) -> str:
    p = on_log_server(f"git --git-dir={remote_path(inv)} rev-parse --verify -q refs/heads/main || true")
    return p.stdout.strip()


def with_offsite(tmp_path: Path, **change: Any) -> Inventory:
    inv_dir = copy_inventory(tmp_path)
    edit_yaml(inv_dir / "group_vars" / "all" / "backup.yml", lambda d: d["backup"]["offsite"].update(change))
    return load_inventory(inv_dir)


def test_the_backups_are_pushed_and_the_log_server_has_the_same_head(
    log_server: Inventory, tmp_path: Path
) -> None:
    repo = BackupRepo(tmp_path / "backups").init()
    repo.write("dc-core-1", "hostname dc-core-1\n")
    repo.commit("backup run 1: 1 changed: dc-core-1")
    assert push_offsite(log_server, repo) is None
    assert remote_head(log_server) == git(repo.path, "rev-parse", "HEAD")
    repo.write("dc-core-1", "hostname dc-core-1\nbanner motd x\n")
    repo.commit("backup run 2: 1 changed: dc-core-1")
    assert push_offsite(log_server, repo) is None
    assert remote_head(log_server) == git(repo.path, "rev-parse", "HEAD")


def test_the_account_runs_git_only_and_keeps_the_history(log_server: Inventory, tmp_path: Path) -> None:
    offsite = log_server.backup.offsite if log_server.backup else None
    assert offsite is not None
    account = f"{offsite.user}@{log_server.hosts[LOG].mgmt_address}"
    ssh = shlex.split(ssh_command(offsite, lab=True))
    shell = subprocess.run([*ssh, account, "id"], capture_output=True, text=True, timeout=60)
    assert shell.returncode != 0 and "uid=" not in shell.stdout, shell.stdout + shell.stderr
    passwd = on_log_server(f"getent passwd {offsite.user}").stdout
    assert passwd.rstrip().endswith(":/usr/bin/git-shell"), passwd
    # a forced push of another history is refused by the repository itself
    before = remote_head(log_server)
    assert before, "the push test runs first"
    other = BackupRepo(tmp_path / "other").init()
    other.write("dc-core-1", "hostname someone-else\n")
    other.commit("rewritten")
    env = {**os.environ, "GIT_SSH_COMMAND": ssh_command(offsite, lab=True)}
    forced = subprocess.run(
        [
            "git",
            "-C",
            str(other.path),
            "push",
            "--force",
            f"ssh://{account}{offsite.path}",
            "HEAD:refs/heads/main",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert forced.returncode != 0 and "denying non-fast-forward" in forced.stderr, forced.stderr
    assert remote_head(log_server) == before


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"path": "/srv/backup/not-there.git"}, "does not appear to be a git repository"),
        # a closed port: refused, or dropped (timed out) once the baseline's firewall is on the server
        ({"port": 2222}, "port 2222: Connection (refused|timed out)"),
    ],
)
def test_a_broken_remote_fails_in_one_line_and_the_local_commit_stays(
    log_server: Inventory, tmp_path: Path, change: dict[str, Any], cause: str
) -> None:
    inv = with_offsite(tmp_path, **change)
    repo = BackupRepo(tmp_path / "backups").init()
    repo.write("dc-core-1", "hostname dc-core-1\n")
    head = repo.commit("backup run 1: 1 changed: dc-core-1")
    inv.secrets.resolve_all()
    msg = push_offsite(inv, repo)
    assert msg is not None and "\n" not in msg, msg
    assert msg.startswith(f"off-site push to ssh://infra-backup@{log_server.hosts[LOG].mgmt_address}:")
    assert re.search(cause, msg), msg
    assert git(repo.path, "rev-parse", "HEAD") == head and not git(repo.path, "status", "--porcelain")
    assert not any(secret in msg for secret in LAB_SECRETS)


# ---- end to end through the CLI (needs `infra backup` from part H1) ------------------------------


def infra_backup(inventory: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INFRA_STATE_DIR": str(state)}
    argv = [str(BIN / "infra"), "--inventory", str(inventory), "backup", "--limit", "dc-core-1"]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)


def test_infra_backup_pushes_and_a_failed_push_fails_the_run(log_server: Inventory, tmp_path: Path) -> None:
    empty_offsite(log_server)  # this run pushes a history of its own
    state = tmp_path / "state"
    good = infra_backup(log_server.path, state)
    assert good.returncode == 0, good.stdout + good.stderr
    local = BackupRepo(state / "backups")
    assert remote_head(log_server) == git(local.path, "rev-parse", "HEAD")

    broken_dir = copy_inventory(tmp_path)
    edit_yaml(
        broken_dir / "group_vars" / "all" / "backup.yml",
        lambda d: d["backup"]["offsite"].update(path="/srv/backup/not-there.git"),
    )
    # an older backup, so that the next run finds the device changed and commits
    (state / "backups" / "dc-core-1.cfg").write_text("hostname changed-by-hand\n")
    local.commit("an older backup of dc-core-1")
    before = int(git(local.path, "rev-list", "--count", "HEAD"))
    bad = infra_backup(broken_dir, state)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "off-site push to ssh://infra-backup@" in out and "does not appear to be a git repository" in out
    assert int(git(local.path, "rev-list", "--count", "HEAD")) == before + 1  # the run's commit stays
    assert not any(secret in out for secret in LAB_SECRETS)
