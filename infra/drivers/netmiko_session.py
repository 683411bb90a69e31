"""What the Netmiko drivers share: connecting, masked session logs, pushing with verification."""

from __future__ import annotations

import contextlib
import re
from ipaddress import IPv4Network
from typing import Any

from netmiko import BaseConnection
from netmiko.exceptions import ConfigInvalidException
from netmiko.session_log import SessionLog

import infra.drivers.refusals as refusals
from infra.drivers.base import (
    CommandRejected,
    ConnectionFailed,
    DeviceTarget,
    Driver,
    DriverError,
    kwargs_of,
)
from infra.drivers.connect_errors import command_failure, open_failure, quiet_paramiko
from infra.drivers.reach import ssh_banner
from infra.safety import LabNotUp, require_blackholed

quiet_paramiko()


class NetmikoDriver(Driver):
    """A driver over one Netmiko connection; subclasses name the connection class."""

    connection_class: type[BaseConnection]
    show_running: str = "show running-config"

    @property
    def error_pattern(self) -> str:
        """What the platform answers to a refused line (`refusals.py`)."""
        return refusals.BY_PLATFORM[self.platform].pattern

    def __init__(self, target: DeviceTarget) -> None:
        super().__init__(target)
        self.conn: Any = None

    # what a fresh login shows once its shell is ready (IOS `R1#`/`R1>`, VRP `<R1>`, vtysh `r1#`)
    login_prompt: str = r"[>#\]]"

    def open(self) -> None:
        self._connect(self.connection_class)

    def probe(self, login: bool = True) -> None:
        """A login that ends at the first prompt: the connection class's session preparation
        (reading the prompt's name, disabling paging: a few round trips and Netmiko's fixed
        pauses) is skipped, since the probe sends no command. Without `login`: the SSH server's
        banner only (infra.drivers.reach)."""
        if not login:
            t = self.target
            self._guard()
            try:
                ssh_banner(t.address, t.port, t.timeout)
            except OSError as exc:
                raise ConnectionFailed(self._masked(f"{self._where()}: {exc}")) from None
            return
        prompt = self.login_prompt

        def ready(conn: Any) -> None:
            conn._test_channel_read(pattern=prompt)

        try:
            self._connect(type("Probe", (self.connection_class,), {"session_preparation": ready}))
        finally:
            self.close()

    def _where(self) -> str:
        t = self.target
        return f"{t.host} ({t.address}{'' if t.port == 22 else f':{t.port}'})"

    def _guard(self) -> None:
        t = self.target
        if t.lab_space:  # a lab device: only while the lab's unreachable route keeps it on this machine
            try:
                require_blackholed(IPv4Network(t.lab_space))
            except LabNotUp as exc:
                raise ConnectionFailed(f"{self._where()}: not contacted: {exc}") from None

    def _connect(self, connection_class: type[BaseConnection]) -> None:
        t = self.target
        where = self._where()
        self._guard()
        kwargs = kwargs_of(t)
        if t.session_log is not None:
            no_log = {f"s{i}": v for i, v in enumerate(t.hidden) if v}
            no_log["password"] = kwargs["password"]
            log = SessionLog(file_name=str(t.session_log), file_mode="append", no_log=no_log)
            log.open()
            kwargs["session_log"] = log
        try:
            self.conn = connection_class(**kwargs)
        except Exception as exc:  # Netmiko's and paramiko's errors, socket errors: one line each
            cause = open_failure(exc, t.username, t.timeout)
            raise ConnectionFailed(self._masked(f"{where}: {cause}")) from None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # a dead session is closed already
                self.conn.disconnect()
            self.conn = None

    def is_alive(self) -> bool:
        try:
            return self.conn is not None and bool(self.conn.is_alive())
        except Exception:
            return False

    def _masked(self, text: str) -> str:
        text = text.strip().splitlines()[0] if text.strip() else text  # Netmiko appends a help page
        text = self.target.mask(text)
        for value in self.target.hidden:
            if value:
                text = text.replace(value, "<secret>")
        return text

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self.conn is None:
            raise DriverError(f"{self.target.host}: no session (open() first)")
        try:
            return fn(*args, **kwargs)
        except DriverError:
            raise
        except ConfigInvalidException as exc:
            # Netmiko: "Invalid input detected at command: <line>, matched error: <answer>"
            m = re.match(r"Invalid input detected at command: (.*), matched error: (.*)", str(exc), re.S)
            said = f"`{m.group(1).strip()}`: {m.group(2).strip()}" if m else str(exc)
            msg = f"{self.target.host}: the device refused {said}"
            raise CommandRejected(self._masked(msg)) from None
        except (OSError, EOFError) as exc:
            lost = command_failure(exc, what) or f"session lost during {what}: {exc}"
            raise ConnectionFailed(self._masked(f"{self.target.host}: {lost}")) from None
        except Exception as exc:
            if (timeout := command_failure(exc, what)) is not None:  # a command's answer timed out
                raise DriverError(self._masked(f"{self.target.host}: {timeout}")) from None
            raise DriverError(
                self._masked(f"{self.target.host}: {what} failed: {type(exc).__name__}: {exc}")
            ) from None

    def get_running_config(self) -> str:
        with self._lock:
            out: str = self._call("reading the running config", self.conn.send_command, self.show_running)
            return without_echo(out, self.show_running)

    show_startup: str | None = None  # the command that prints the saved configuration
    startup_noise: str | None = None  # a line it prints that is not configuration (IOS: "Using N ...")

    def get_startup_config(self) -> str | None:
        if self.show_startup is None:
            return None
        with self._lock:
            out: str = self._call(
                "reading the startup config", self.conn.send_command, self.show_startup, read_timeout=60.0
            )
        out = without_echo(out, self.show_startup)
        if self.startup_noise:
            out = re.sub(self.startup_noise, "", out, flags=re.M)
        return out

    def show(self, command: str) -> str:
        with self._lock:
            out: str = self._call(command, self.conn.send_command, command)
            return without_echo(out, command)

    discard_candidate: str | None = None  # VRP: `abort` drops uncommitted lines before leaving

    def _leave_config_mode(self) -> None:
        """After a rejected line: leave config mode so the session is usable (and, on two-stage
        platforms, drop what was not committed)."""
        with contextlib.suppress(Exception):
            if self.discard_candidate:
                self.conn.send_command(self.discard_candidate, expect_string=r"[>\]#]")
            if self.conn.check_config_mode():
                self.conn.exit_config_mode()

    def _send_config(self, lines: list[str], **extra: Any) -> str:
        try:
            return self._send_config_raw(lines, **extra)
        except CommandRejected:
            self._leave_config_mode()
            raise

    def _send_config_raw(self, lines: list[str], **extra: Any) -> str:
        out: str = self._call(
            "configuration",
            self.conn.send_config_set,
            [line.rstrip() for line in lines if line.strip()],
            cmd_verify=True,
            bypass_commands="",
            error_pattern=self.error_pattern,
            read_timeout=max(30.0, self.target.timeout),
            **extra,
        )
        return out

    def _check_rejected(self, output: str) -> None:
        refused = refusals.BY_PLATFORM[self.platform].first(output)
        if refused is not None:
            raise CommandRejected(self._masked(f"{self.target.host}: the device refused a line: {refused}"))


def without_echo(out: str, command: str) -> str:
    """The answer to `command` without what came before it.

    Netmiko drops the command's echo only when the answer starts with it. On a busy device the
    echo can arrive behind a late prompt (`cpe-1# show running-config`) or a stray newline left
    by the session's set-up, and would be read as the first line of the configuration (seen
    once in CI: a false drift). Leading lines that are blank or end with the command go."""
    lines = out.split("\n")
    first = 0
    while first < min(len(lines), 3) and _before_answer(lines[first], command):
        first += 1
    return "\n".join(lines[first:])


def _before_answer(line: str, command: str) -> bool:
    return not line.strip() or line.rstrip().endswith(command)
