"""The backup tests' fixtures: deploy's fresh inventory, state directory and fake devices, and
the lab's off-site copy: the log server (srv-log-1) converged with role
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
from tests.deploy.conftest import inv, net, paths  # noqa: F401  (the same fresh inventory, state and fake devices)

PLAYBOOK = ROOT / "playbooks" / "backup_target.yml"
LOG = "srv-log-1"


def on_log_server(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(exec_argv(LOG, ["sh", "-c", script]), capture_output=True, text=True, timeout=60)


def remote_path(province: Inventory) -> str:
    offsite = province.backup.offsite if province.backup else None
    assert offsite is not None and offsite.path
    return offsite.path


def empty_offsite(province: Inventory) -> None:
    """Start the off-site copy from nothing: the role creates the bare repository again."""
    on_log_server(f"rm -rf {remote_path(province)}")
    done = converge_servers(province, [province.hosts[LOG]], playbook=PLAYBOOK, ssh_key=SSH_KEY)
    assert not done.failed_hosts, done.results[LOG].message + "\n" + done.results[LOG].diff
    assert done.results[LOG].changed


@pytest.fixture(scope="session")
def converged_log_server(lab: Any) -> Inventory:
    """The log server converged with backup_target; a second run changes nothing."""
    province: Inventory = lab.inv
    empty_offsite(province)
    again = converge_servers(province, [province.hosts[LOG]], playbook=PLAYBOOK, ssh_key=SSH_KEY)
    assert not again.failed_hosts and not again.results[LOG].changed, again.results[LOG].as_dict()
    return province


@pytest.fixture(scope="module")
def log_server(converged_log_server: Inventory) -> Inventory:
    """The log server with an empty off-site repository for this module's history."""
    empty_offsite(converged_log_server)
    return converged_log_server
