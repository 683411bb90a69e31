"""Cisco IOS / IOS-XE over Netmiko, with the device's own commit-confirm.

IOS has a revert timer of its own when the configuration archive is on (`archive` /
`path flash:infra-archive`, which the baseline template renders):

    commit(revert_in=s)  ->  `configure terminal revert timer <minutes>` (rounded up, >= 1),
                             then the remediation lines; IOS archives the running config first
    confirm()            ->  `configure confirm`
    rollback()           ->  `configure revert now` while the timer is armed, otherwise the
                             tree difference back to the config read by compare()
    save()               ->  `write memory`

If the session dies after a commit, IOS itself restores the archived config when the timer
runs out: no client needs to survive for the revert to happen.
"""

from __future__ import annotations

import math
from typing import ClassVar

from netmiko.cisco.cisco_ios import CiscoIosSSH

import infra.drivers.neighbours as neighbours
from infra.drivers.configtree import Change
from infra.drivers.netmiko_session import NetmikoDriver


class CiscoIosDriver(NetmikoDriver):
    platform: ClassVar[str] = "cisco_ios"
    connection_class = CiscoIosSSH
    native_revert_timer: ClassVar[bool] = True
    show_startup = "show startup-config"
    startup_noise = r"^Using \d+ out of \d+ bytes.*$"
    _armed = False

    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        if revert_in is not None:
            minutes = max(1, math.ceil(revert_in / 60))
            self._send_config(list(lines), config_mode_command=f"configure terminal revert timer {minutes}")
            self._armed = True
        else:
            self._send_config(list(lines))

    def neighbours_up(self) -> neighbours.Adjacencies:
        return neighbours.cisco_ios(self.show)

    def _confirm_native(self) -> None:
        if self._armed:
            out: str = self._call("configure confirm", self.conn.send_command, "configure confirm")
            self._check_rejected(out)
            self._armed = False

    def rollback(self) -> Change:
        with self._lock:
            if self._armed:
                self.reconnect()
                out: str = self._call(
                    "configure revert now",
                    self.conn.send_command,
                    "configure revert now",
                    expect_string=r"#",
                    read_timeout=60.0,
                )
                self._check_rejected(out)
                self._armed = False
                return Change((), "")
        return super().rollback()

    def save(self) -> None:
        with self._lock:
            out: str = self._call("write memory", self.conn.save_config, cmd="write memory")
            self._check_rejected(out)
