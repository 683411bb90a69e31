"""FRR over SSH into vtysh (the lab's routers, and FRR boxes in production).

Netmiko drives vtysh as a thin subclass of its Cisco IOS base (LAB.md): no `terminal width`
(vtysh answers `% Unknown command`), `write memory` to save, command verification forced on
(`cmd_verify=True`, `bypass_commands=""`) so a `banner` line cannot switch a whole push to
blind writes, and an error pattern so a rejected line fails the push.

FRR has no commit-confirm. `commit(revert_in=...)` is emulated: the driver keeps the running
config read by `compare()` and a timer; unless `confirm()` comes in time, it reconnects and
pushes the tree difference back to that config. If the device stays unreachable, the revert
fails and the deploy reports the host as needing attention.
"""

from __future__ import annotations

import contextlib
import re
from typing import ClassVar

import paramiko
from netmiko.cisco.cisco_ios import CiscoIosBase

import infra.drivers.neighbours as neighbours
from infra.drivers.base import ConnectionFailed, DriverError
from infra.drivers.netmiko_session import NetmikoDriver


class VtyshConnection(CiscoIosBase):
    def session_preparation(self) -> None:
        self._test_channel_read(pattern=r"[>#]")
        self.set_base_prompt()
        self.disable_paging(command="terminal length 0")

    def _prompt_handler(self, auto_find_prompt: bool) -> str:
        """The end of a command's answer: vtysh's prompt, `<hostname>#` alone on the last line.
        The hostname is the session's (read at login, re-read after a push that sets it), so
        Netmiko's `find_prompt()` (an extra newline, a round trip and ~50 ms of fixed pauses per
        command) is not needed. Netmiko keeps only its first 16 characters (`base_prompt`, for
        IOS's abbreviated config-mode prompt): the rest of the name is matched as any word."""
        return rf"\n{re.escape(self.base_prompt)}\S*#\s*$"

    def save_config(
        self, cmd: str = "write memory", confirm: bool = False, confirm_response: str = ""
    ) -> str:
        return self._send_command_str(cmd, read_timeout=60.0)

    def check_enable_mode(self, check_string: str = "#") -> bool:
        return True


class FrrDriver(NetmikoDriver):
    platform: ClassVar[str] = "frr"
    connection_class = VtyshConnection

    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        renames = any(_HOSTNAME.match(line) for line in lines)  # the prompt changes with it
        try:
            self._send_config(list(lines))
        except Exception:
            if renames:
                with contextlib.suppress(Exception):
                    self.conn.set_base_prompt()
            raise
        if renames:
            self._call("reading the new prompt", self.conn.set_base_prompt)

    def neighbours_up(self) -> neighbours.Adjacencies:
        return neighbours.frr(self.show)

    def get_running_config(self) -> str:
        return _whole(super().get_running_config(), "show running-config")

    def show(self, command: str) -> str:
        return _whole(super().show(command), command)

    # vtysh's `show startup-config` prints nothing (only FRR's daemons know their config file):
    # the saved integrated config is read over SFTP on the same SSH session instead.
    startup_file: ClassVar[str] = "/etc/frr/frr.conf"

    def get_startup_config(self) -> str | None:
        with self._lock:
            out: str = self._call("reading the startup config", self._read_startup)
            return out

    def _read_startup(self) -> str:
        sftp = paramiko.SFTPClient.from_transport(self.conn.remote_conn.get_transport())
        if sftp is None:
            raise DriverError(f"{self.target.host}: no SFTP channel to read {self.startup_file}")
        try:
            with sftp.open(self.startup_file) as f:
                return bytes(f.read()).decode("utf-8", "replace")
        except FileNotFoundError:
            return ""  # never saved: everything running is unsaved
        except PermissionError:
            raise DriverError(
                f"{self.target.host}: cannot read {self.startup_file} to compare running with "
                f"startup: the login user {self.target.username} needs to be in group frr"
            ) from None
        finally:
            sftp.close()

    def save(self) -> None:
        with self._lock:
            out: str = self._call("write memory", self.conn.save_config)
            self._check_rejected(out)


_HOSTNAME = re.compile(r"\s*(no\s+)?hostname\b")

# vtysh prints this instead of a daemon's part of the answer when it cannot reach the daemon
# (restarted by watchfrr, or too busy to accept): the output is then incomplete, not a config.
_DAEMON_LOST = re.compile(r"^Warning: connecting to (\S+)\.\.\.failed!", re.M)


def _whole(out: str, command: str) -> str:
    lost = _DAEMON_LOST.findall(out)
    if lost:
        raise ConnectionFailed(
            f"vtysh could not reach {', '.join(lost)} for `{command}` (daemon restarted or not "
            "answering): the answer is incomplete"
        )
    return out
