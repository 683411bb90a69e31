"""Every command that contacts devices goes through the lab guard and the secret check first.

The table below names every `infra` command; a new command fails `test_every_command_is_classified`
until someone decides whether it contacts devices. Those that do must carry
`@contacts_devices` and, with a lab province whose lab is down (or a secret that cannot be
resolved), exit 2 before a single socket is connected or a process started.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from infra.cli import cli
from tests.conftest import INVENTORY
from tests.inventory.helpers import copy_inventory, edit_yaml
from tests.safety.routes import LAB_DOWN, LAB_UP, fake_routes

# command -> the invocations of it that contact devices (empty: it never does, and why)
CONTACTS: dict[str, list[list[str]]] = {
    "deploy": [["deploy", "-l", "dc-core-1"], ["deploy", "--check", "-l", "dc-core-1,srv-portal-1"]],
    "audit": [["audit", "-l", "dc-core-1"], ["audit", "--compliance", "-l", "dc-core-1,srv-portal-1"]],
    "monitoring up": [["monitoring", "up", "--out", "{tmp}/mon", "--prometheus-port", "1"]],
    "vc check": [["vc", "check"], ["vc", "check", "--meeting", "giao-ban-ubnd", "-l", "vc-xa-da-huoai"]],
    "backup": [["backup", "-l", "dc-core-1"], ["backup", "--servers", "-l", "dc-core-1,srv-portal-1"]],
    "backup restore": [
        ["backup", "restore", "dc-core-1", "--at", "HEAD~1"],
        ["backup", "restore", "--server", "srv-portal-1", "--path", "/srv", "--at", "latest"],
    ],
}
NEVER = {
    "history": "reads the journal",
    "render": "renders from the inventory",
    "inventory validate": "reads the inventory",
    "inventory show": "reads the inventory",
    "inventory generate": "writes files",
    "inventory list": "reads the inventory",
    "inventory graph": "reads the inventory",
    "monitoring render": "writes files",
    "monitoring down": "stops local processes by pid file",
    "monitoring journal-metrics": "reads the journal",
    "lab up": "builds the lab and installs the unreachable route itself",
    "lab down": "removes the lab",
    "lab status": "probes only nodes whose namespace exists",
    "lab exec": "runs inside a lab namespace",
    "lab snmprec": "restarts a lab snmpd in its namespace",
    "lab vagrant-topology": "writes a file",
    "exporter serve": "never reads the inventory; its targets come from Prometheus (point 6)",
    "oncall serve": "talks only to the Prometheus and Alertmanager URLs it is given, never to a device",
    "backup log": "reads the backup repository",
    "backup diff": "reads the backup repository",
    "backup show": "reads the backup repository",
}


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    ctx = click.Context(group)
    out: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            if cmd.invoke_without_command:  # the group runs on its own too (`infra backup`)
                out[f"{prefix}{name}"] = cmd
            out |= _commands(cmd, f"{prefix}{name} ")
        else:
            out[f"{prefix}{name}"] = cmd
    return out


def test_every_command_is_classified() -> None:
    commands = _commands(cli)
    unknown = set(commands) - set(CONTACTS) - set(NEVER)
    assert not unknown, f"classify these commands in CONTACTS or NEVER: {sorted(unknown)}"
    assert not (set(CONTACTS) | set(NEVER)) - set(commands), "the table names a command that is gone"
    for name, cmd in commands.items():
        marked = bool(getattr(cmd.callback, "contacts_devices", False))
        assert marked == (name in CONTACTS), (
            f"`infra {name}`: @contacts_devices {'missing' if not marked else 'unexpected'}"
        )


@pytest.fixture
def nothing_leaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Record every socket connect and every process started (and refuse them)."""
    attempts: list[str] = []

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(f"connect {address}")
        raise OSError("test: no connection allowed")

    def popen(*args: Any, **kwargs: Any) -> Any:
        attempts.append(f"process {args[:1]}")
        raise OSError("test: no process allowed")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path / "state"))
    return attempts


def _invocations(tmp_path: Path) -> list[list[str]]:
    return [[a.replace("{tmp}", str(tmp_path)) for a in args] for runs in CONTACTS.values() for args in runs]


def invoke(inventory: Path, args: list[str]) -> Any:
    return CliRunner().invoke(cli, ["-i", str(inventory), *args])


def test_a_lab_province_with_its_lab_down_is_refused_before_any_contact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nothing_leaves: list[str]
) -> None:
    reads = fake_routes(monkeypatch, *LAB_DOWN)
    for args in _invocations(tmp_path):
        r = invoke(INVENTORY, args)
        assert r.exit_code == 2, (args, r.output)
        assert "the lab is not up: 10.64.0.0/10 has no unreachable route" in r.output, args
        assert "infra lab up" in r.output and "Traceback" not in r.output
    assert nothing_leaves == []
    assert len(reads) == len(_invocations(tmp_path))
    assert not (tmp_path / "state").exists()  # no journal entry, no backup repository: nothing begun


def test_offline_commands_need_no_lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reads = fake_routes(monkeypatch, *LAB_DOWN)
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path / "state"))
    r = invoke(INVENTORY, ["audit", "--offline", "-l", "dc-core-1"])
    assert r.exit_code == 1 and "no backup of dc-core-1" in r.output  # got past the guard: no backup yet
    assert invoke(INVENTORY, ["render", "-l", "dc-core-1"]).exit_code == 0
    assert reads == []


def test_an_unset_environment_variable_fails_the_command_before_any_contact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nothing_leaves: list[str]
) -> None:
    path = copy_inventory(tmp_path)
    edit_yaml(
        path / "group_vars/all/credentials.yml",
        lambda d: d["credentials"].update(device_password="{{ lookup('env', 'INFRA_TEST_UNSET_PW') }}"),
    )
    monkeypatch.delenv("INFRA_TEST_UNSET_PW", raising=False)
    fake_routes(monkeypatch, *LAB_UP)
    for args in _invocations(tmp_path):
        r = invoke(path, args)
        assert r.exit_code == 2, (args, r.output)
        assert r.output.strip().splitlines() == [
            f"Error: {path.name}/group_vars/all/credentials.yml:6, field credentials.device_password: "
            "environment variable INFRA_TEST_UNSET_PW is not set (export it before running infra)"
        ], args
    assert nothing_leaves == []
    assert not (tmp_path / "state").exists()
