"""Test helpers for the lab: a Netmiko session into vtysh (the FRR driver's class), commands in nodes."""

from __future__ import annotations

import subprocess
from typing import Any

from infra.drivers.frr import VtyshConnection
from infra.lab.exec import exec_argv


def connect(address: str, username: str, password: str, **kw: Any) -> VtyshConnection:
    return VtyshConnection(
        host=address,
        username=username,
        password=password,
        device_type="cisco_ios",
        use_keys=False,
        allow_agent=False,
        fast_cli=True,
        conn_timeout=20,
        **kw,
    )


def in_node(
    node: str, *argv: str, check: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(exec_argv(node, argv), capture_output=True, text=True, check=check, timeout=timeout)


def vtysh(node: str, *lines: str) -> str:
    args: list[str] = ["vtysh"]
    for line in lines:
        args += ["-c", line]
    proc = in_node(node, *args)
    return proc.stdout + proc.stderr
