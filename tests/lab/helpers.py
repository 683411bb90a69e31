"""Test helpers for the lab: a thin Netmiko class for vtysh over SSH (LAB.md), and commands in nodes.

The deploy work owns the real drivers (infra/drivers/); this is only what the lab tests need.
"""

from __future__ import annotations

import subprocess
from typing import Any

from netmiko.cisco.cisco_ios import CiscoIosBase

from infra.lab.exec import exec_argv


class VtyshSSH(CiscoIosBase):
    """FRR's vtysh as a Netmiko device: Cisco-like, without Cisco's slow mode checks."""

    def session_preparation(self) -> None:
        self._test_channel_read(pattern=r"[>#]")
        self.set_base_prompt()
        self.disable_paging(command="terminal length 0")

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return str(self._send_command_str(cmd, expect_string=r"#"))


def connect(address: str, username: str, password: str, **kw: Any) -> VtyshSSH:
    return VtyshSSH(
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
