"""Huawei VRP (VRP8, two-stage commit) over Netmiko, with the device's own commit-confirm.

VRP8 edits a candidate in `system-view` and applies it with `commit`. A trial commit reverts by
itself:

    commit(revert_in=s)  ->  `system-view`, the remediation lines, `commit trial <s>` (s >= 60)
    confirm()            ->  `commit` (in system view: makes the trial permanent)
    rollback()           ->  `cancel trial` while the trial runs (VRP restores the previous
                             config at once), else the tree difference back to compare()'s config
    save()               ->  `save` answered `y`

Without `revert_in`, the lines are committed with a plain `commit`. VRP5 devices (no two-stage
mode) are not supported by this driver: its trial commit needs VRP8.
"""

from __future__ import annotations

from typing import ClassVar

from netmiko.cisco_base_connection import CiscoBaseConnection
from netmiko.huawei.huawei import HuaweiVrpv8SSH

import infra.drivers.neighbours as neighbours
from infra.drivers.configtree import Change
from infra.drivers.netmiko_session import NetmikoDriver


class VrpConnection(HuaweiVrpv8SSH):
    def check_config_mode(
        self, check_string: str = "]", pattern: str = "", force_regex: bool = False
    ) -> bool:
        # Netmiko's Huawei check waits ~2 s for the channel to go quiet; a prompt pattern is instant
        return CiscoBaseConnection.check_config_mode(self, check_string=check_string, pattern=r"[>\]]")


class HuaweiVrpDriver(NetmikoDriver):
    platform: ClassVar[str] = "huawei_vrp"
    connection_class = VrpConnection
    native_revert_timer: ClassVar[bool] = True
    show_running = "display current-configuration"
    show_startup = "display saved-configuration"
    discard_candidate = "abort"
    _armed = False

    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        commit = f"commit trial {max(60, int(revert_in))}" if revert_in is not None else "commit"
        out = self._send_config([*lines, commit], exit_config_mode=True)
        self._check_rejected(out)
        self._armed = revert_in is not None

    def neighbours_up(self) -> neighbours.Adjacencies:
        return neighbours.huawei_vrp(self.show)

    def _system_view(self, command: str) -> None:
        out = self._send_config([command], exit_config_mode=True)
        self._check_rejected(out)

    def _confirm_native(self) -> None:
        if self._armed:
            self._system_view("commit")
            self._armed = False

    def rollback(self) -> Change:
        with self._lock:
            if self._armed:
                self.reconnect()
                self._system_view("cancel trial")
                self._armed = False
                return Change((), "")
        return super().rollback()

    def save(self) -> None:
        with self._lock:
            out: str = self._call(
                "save", self.conn.save_config, cmd="save", confirm=True, confirm_response="y"
            )
            self._check_rejected(out)
