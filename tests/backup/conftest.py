"""The lab's off-site copy for the backup tests: the log server (srv-log-1) converged with role
backup_target once per session, and an empty bare repository for each module that pushes its
own history there (the repository refuses a history that does not extend its own)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from infra.ansible import converge_servers
from infra.inventory import Inventory
from infra.lab.exec import exec_argv
from infra.lab.paths import SSH_KEY
from tests.conftest import ROOT

PLAYBOOK = ROOT / "playbooks" / "backup_target.yml"
LOG = "srv-log-1"


def on_log_server(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(exec_argv(LOG, ["sh", "-c", script]), capture_output=True, text=True, timeout=60)


def remote_path(inv: Inventory) -> str:
    assert inv.backup is not None and inv.backup.offsite is not None and inv.backup.offsite.path
    return inv.backup.offsite.path


def empty_offsite(inv: Inventory) -> None:
    """Start the off-site copy from nothing: the role creates the bare repository again."""
    on_log_server(f"rm -rf {remote_path(inv)}")
    done = converge_servers(inv, [inv.hosts[LOG]], playbook=PLAYBOOK, ssh_key=SSH_KEY)
    assert not done.failed_hosts, done.results[LOG].message + "\n" + done.results[LOG].diff
    assert done.results[LOG].changed


@pytest.fixture(scope="session")
def converged_log_server(lab: Any) -> Inventory:
    """The log server converged with backup_target; a second run changes nothing."""
    inv: Inventory = lab.inv
    empty_offsite(inv)
    again = converge_servers(inv, [inv.hosts[LOG]], playbook=PLAYBOOK, ssh_key=SSH_KEY)
    assert not again.failed_hosts and not again.results[LOG].changed, again.results[LOG].as_dict()
    return inv


@pytest.fixture(scope="module")
def log_server(converged_log_server: Inventory) -> Inventory:
    """The log server with an empty off-site repository for this module's history."""
    empty_offsite(converged_log_server)
    return converged_log_server
