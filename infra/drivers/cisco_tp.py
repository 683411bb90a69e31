"""Cisco video codecs (RoomOS / CE, TC) over their SSH xAPI, through Netmiko's `cisco_tp`.

RoomOS has no prompt, no configuration mode and no save: every command's answer ends with a
line `OK` (or `ERROR`, or `Command not recognized.`), and a setting persists the moment it is
set. So the contract maps as:

    get_running_config()   `xConfiguration`, in the canonical one-setting-per-line form of
                           `infra.xconfig` (`*c ` and the `** end`/`OK` lines dropped)
    compare()              path by path over the paths the (partial) intent names
    commit(revert_in=s)    one `xConfiguration <path>: <value>` per changed path; the revert is
                           emulated as for FRR: unless `confirm()` comes within s seconds, the
                           driver sets the previous values back
    rollback()             the previous values set again
    save()                 nothing to do (settings persist at once)
    get_startup_config()   None: a codec keeps no separate startup configuration
    verify_applied()       after a change to any `SIP ...` path: `xStatus SIP Registration 1
                           Status` must read `Registered` (polled) within the wait

For `infra vc check` and other readers: `status("SIP Registration 1 Status")` is the value of
one `xStatus` path ("Registered"; quotes of a string value removed) and `command("Dial Number:
...")` runs an `xCommand` and returns its `*r` result lines; both raise `CommandRejected` with
the codec's reason when it answers `ERROR` or a result has `status=Error`.
"""

from __future__ import annotations

import re
import time
from typing import ClassVar

from netmiko.cisco.cisco_tp_tcce import CiscoTpTcCeSSH

from infra import xconfig
from infra.drivers.base import CommandRejected, DriverError
from infra.drivers.netmiko_session import NetmikoDriver

# The end of every answer, on a line of its own. (Netmiko's own default is built from the
# `\r\n` the class sends, but reads are normalised to `\n`, so it is given explicitly.)
ANSWER_END = r"(?:^|\n)(OK|ERROR|Command not recognized\.)\n"  # echoed or not
_FAILED = re.compile(r"^(ERROR|Command not recognized\.)$", re.M)
_RESULT_ERROR = re.compile(r"^\*r .*\(status=Error\)", re.M | re.I)
_REASON = re.compile(r'^\*r (?:\S+ )*Reason: "?(?P<reason>.*?)"?\s*$', re.M)
_STATUS = re.compile(r"^\*s (?P<path>[^:]+?):\s?(?P<value>.*)$")

READY = r"\nOK\s*$"  # the greeting's last line
REGISTRATION = "SIP Registration 1 Status"


class CodecConnection(CiscoTpTcCeSSH):
    def session_preparation(self) -> None:
        """RoomOS greets a login with its release, `*r Login successful` and `OK`: the session is
        ready at that `OK` (Netmiko's own preparation waits for the channel to go quiet)."""
        self._test_channel_read(pattern=READY)
        self.set_base_prompt()

    def check_config_mode(self, *args: object, **kwargs: object) -> bool:
        return False  # no config mode (Netmiko's check would wait for a prompt that never comes)

    def cleanup(self, command: str = "bye") -> None:
        """Leave with RoomOS's own `bye` (Netmiko's `exit` is no xAPI command)."""
        if self.session_log:
            self.session_log.fin = True
        self.write_channel(command + self.RETURN)


class CiscoTpDriver(NetmikoDriver):
    platform: ClassVar[str] = "cisco_tp"
    connection_class = CodecConnection
    show_running = "xConfiguration"
    login_prompt = READY
    registration_poll_s: ClassVar[float] = 1.0

    # ---- reading -------------------------------------------------------------------------
    def _ask(self, command: str, what: str | None = None) -> str:
        """`command`'s answer without its echo and its final OK line; CommandRejected (with
        the codec's reason) when the codec answers ERROR, or a result says status=Error."""
        with self._lock:
            out: str = self._call(
                what or command,
                self.conn.send_command,
                command,
                expect_string=ANSWER_END,
                cmd_verify=False,
                strip_prompt=False,
                strip_command=False,
                read_timeout=max(30.0, self.target.timeout),
            )
        lines = [line for line in out.replace("\r", "").split("\n") if line.strip()]
        lines = [line for line in lines if line.strip() != command.strip()]  # the echo
        answer = "\n".join(lines)
        failed = _FAILED.search(answer) or _RESULT_ERROR.search(answer)
        if failed:
            reason = _REASON.search(answer)
            said = reason["reason"] if reason else failed[0]
            raise CommandRejected(self._masked(f"{self.target.host}: the codec refused `{command}`: {said}"))
        return "\n".join(line for line in lines if line.strip() != "OK")

    def get_running_config(self) -> str:
        return xconfig.canonical(self._ask(self.show_running, "reading the running config"))

    def show(self, command: str) -> str:
        """An `xStatus` / `xCommand` / `xConfiguration <path>` answer: its `*s`/`*r`/`*c` lines
        and `** end` (the final OK dropped)."""
        return self._ask(command)

    def status(self, path: str) -> str:
        """The value of one `xStatus` path, e.g. status("SIP Registration 1 Status") ->
        "Registered" (a string's quotes removed)."""
        path = " ".join(path.split())
        answer = self._ask(f"xStatus {path}")
        for line in answer.splitlines():
            m = _STATUS.match(line.strip())
            if m and " ".join(m["path"].split()).lower() == path.lower():
                value = m["value"].strip()
                return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
        raise DriverError(self._masked(f"{self.target.host}: `xStatus {path}` printed no value for {path}"))

    def command(self, text: str) -> str:
        """Run `xCommand <text>` (e.g. "Dial Number: sip:testroom@vc.example"); its `*r` lines."""
        return self._ask(f"xCommand {text.strip()}")

    # ---- configuring ---------------------------------------------------------------------
    def _push(self, lines: tuple[str, ...], revert_in: float | None) -> None:
        """One setting at a time, in order; the first refused one stops the push (the ones
        before it are set already: a rollback sets them back)."""
        for line in lines:
            if xconfig.parse_line(line) is None:
                raise CommandRejected(
                    self._masked(f"{self.target.host}: not an xConfiguration setting: {line.strip()!r}")
                )
            self._ask(line.strip(), "configuration")

    def save(self) -> None:
        """Nothing to do: a codec persists every setting the moment it is set."""
        return None

    def verify_applied(self, remediation: tuple[str, ...], wait_s: float) -> list[str]:
        """A change to a `SIP ...` path re-registers the codec: it must read `Registered`
        within `wait_s` (polled; registering takes a while)."""
        sip = [p for p in map(xconfig.path_of, remediation) if p and p.lower().startswith("sip ")]
        if not sip:
            return []
        start = time.monotonic()
        while True:
            state = self.status(REGISTRATION)
            waited = time.monotonic() - start
            if state.lower() == "registered":
                return []
            if waited >= wait_s:
                return [
                    f"`xStatus {REGISTRATION}` is {state}, not Registered, {waited:.0f}s after "
                    f"the SIP settings changed ({', '.join(sip)})"
                ]
            time.sleep(min(self.registration_poll_s, max(0.0, wait_s - waited)))

    def _leave_config_mode(self) -> None:  # there is no config mode
        return None

    def is_alive(self) -> bool:
        """The SSH transport is up. Netmiko's own check writes a NUL byte into the session,
        which RoomOS (and the lab's stand-in) take as the start of the next command line: the
        restore after a failed verification then read `Command not recognized.`"""
        try:
            transport = self.conn.remote_conn.get_transport() if self.conn is not None else None
        except Exception:
            return False
        return transport is not None and bool(transport.is_active())
