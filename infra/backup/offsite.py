"""The backup repository's second remote (the off-site copy), named in the inventory.

`push_offsite(inv, repo)` pushes the repository's branch to `backup.offsite` (group_vars/all/
backup.yml) with plain `git push` over SSH: no agent, no prompt (BatchMode), the inventory's key
and known_hosts only, a connect timeout and an overall deadline, so a dead log server fails the
run within `offsite.timeout` seconds instead of hanging it. The push is never forced: the
off-site repository refuses rewrites too (role backup_target), so it keeps the history even if
the automation host is lost or compromised. A failure is one masked line naming the remote and
the cause; the local commit is never touched.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess

from infra.inventory import Inventory
from infra.inventory.backup import OffsiteRemote
from infra.state.backups import BackupRepo

CONNECT_TIMEOUT = 10  # seconds for the TCP connection and the SSH handshake
# git's generic lines after the real cause: they say nothing the first line did not
_NOISE = (
    "fatal: could not read from remote repository.",
    "please make sure you have the correct access rights",
    "and the repository exists.",
)


def offsite_url(inv: Inventory) -> str | None:
    """The off-site remote's git URL, or None when the inventory names none."""
    remote = inv.backup.offsite if inv.backup else None
    if remote is None:
        return None
    address = str(inv.hosts[remote.host].mgmt_address) if remote.host is not None else None
    return remote.remote_url(address)


def ssh_command(remote: OffsiteRemote, lab: bool) -> str:
    """GIT_SSH_COMMAND: the inventory's key and known hosts only, never a prompt."""
    argv = [
        "ssh",
        "-o", "BatchMode=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=2",
        "-o", "ControlMaster=no",
        "-o", "ControlPath=none",
        "-o", "LogLevel=ERROR",
    ]  # fmt: skip
    if remote.identity_file:
        argv += ["-i", remote.identity_file, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
    if remote.known_hosts:
        argv += ["-o", f"UserKnownHostsFile={remote.known_hosts}", "-o", "StrictHostKeyChecking=yes"]
    elif lab:
        # The lab's nodes are rebuilt often with the lab's own host key (as the Ansible bridge does).
        argv += ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no"]
    else:
        argv += ["-o", "StrictHostKeyChecking=yes"]
    return shlex.join(argv)


def push_offsite(inv: Inventory, repo: BackupRepo) -> str | None:
    """Push the repository to the inventory's off-site remote: None when pushed (or none is
    configured, or there is nothing to push yet), else why it failed, in one masked line."""
    remote = inv.backup.offsite if inv.backup else None
    url = offsite_url(inv)
    if remote is None or url is None:
        return None
    if not (repo.path / ".git").exists() or _git(repo, "rev-parse", "--verify", "-q", "HEAD").returncode:
        return None  # no commit yet: nothing to copy
    env = {
        **os.environ,
        "GIT_SSH_COMMAND": ssh_command(remote, inv.province.lab),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "LC_ALL": "C",
    }
    env.pop("SSH_AUTH_SOCK", None)
    argv = [
        "git",
        "-C",
        str(repo.path),
        "push",
        "--quiet",
        "--porcelain",
        url,
        f"HEAD:refs/heads/{remote.branch}",
    ]
    # its own session, so a timeout ends ssh with git and no child outlives the run
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=remote.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return _line(inv, url, f"no answer within {remote.timeout} s (backup.offsite.timeout)")
    if proc.returncode == 0:
        return None
    return _line(inv, url, _cause(out, err))


def _git(repo: BackupRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo.path), *args], capture_output=True, text=True, check=False)


def _cause(out: str, err: str) -> str:
    """The lines that say why: ssh's and git's own, without git's generic advice."""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.lower().startswith(_NOISE)]
    # --porcelain: a refused ref is "!<tab>src:dst<tab>[rejected] (reason)" on stdout
    rejected = [ln.split("\t")[-1] for ln in out.splitlines() if ln.startswith("!")]
    if rejected:
        lines.append(
            "the remote refused the update "
            + "; ".join(rejected)
            + " (its history differs: restore this repository from the off-site copy first)"
        )
    lines = [ln.removeprefix("fatal: ").removeprefix("error: ") for ln in lines if ln != "Done"]
    return "; ".join(dict.fromkeys(lines)) or "git push failed"


def _line(inv: Inventory, url: str, cause: str) -> str:
    text = f"off-site push to {url} failed: {cause}"
    return inv.secrets.mask(" ".join(text.split()))
