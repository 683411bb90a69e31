"""An unreachable device is one line: host, address and cause (real sockets on loopback).

Each peer below is a real socket the test opens and keeps (no port is picked and released):
one bound but not listening (refused), one that resets or closes every connection, one that
accepts and never speaks, one whose accept queue is full (the TCP handshake never completes),
and SSH servers (tests/deploy/replay.py) that refuse a password, never answer authentication,
or never print a prompt.
"""

from __future__ import annotations

import errno
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout
from paramiko.ssh_exception import NoValidConnectionsError

from infra.drivers import ConnectionFailed, DeviceTarget, DriverError, driver_for
from infra.drivers.connect_errors import open_failure
from infra.inventory.secrets import Secret
from tests.conftest import ROOT
from tests.deploy.replay import ReplayServer, _Auth, host_key

PASSWORD = "Lab-Dev1ce-Pw-7f3k"
TIMEOUT = 1.0


def target(port: int, platform: str = "frr", password: str = PASSWORD) -> DeviceTarget:
    return DeviceTarget("r1", "127.0.0.1", "admin", Secret(password), platform, port=port, timeout=TIMEOUT)


def failure(port: int, platform: str = "frr", password: str = PASSWORD) -> str:
    drv = driver_for(platform)(target(port, platform, password))
    with pytest.raises(ConnectionFailed) as exc:
        drv.open()
    drv.close()
    return str(exc.value)


def closed_or_reset(port: int) -> tuple[str, str]:
    """A peer that closes: paramiko sees the reset while connecting, or an EOF writing its banner."""
    return (
        f"r1 (127.0.0.1:{port}): connection reset by the device",
        f"r1 (127.0.0.1:{port}): the device closed (or reset) the connection before the SSH banner",
    )


def no_timeout_advice(message: str) -> bool:
    return "timeout" not in message and "timed out" not in message


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    yield s
    s.close()


def serve(listener: socket.socket, handle: Any) -> threading.Thread:
    listener.listen(8)

    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            handle(conn)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


def port_of(s: socket.socket) -> int:
    return int(s.getsockname()[1])


def test_refused(listener: socket.socket) -> None:
    msg = failure(port_of(listener))  # bound, not listening: the kernel answers with a reset
    assert msg == f"r1 (127.0.0.1:{port_of(listener)}): connection refused"


def test_reset(listener: socket.socket) -> None:
    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    serve(listener, reset)
    msg = failure(port_of(listener))
    assert msg in closed_or_reset(port_of(listener))
    assert no_timeout_advice(msg)


def test_closed_before_the_banner(listener: socket.socket) -> None:
    serve(listener, lambda conn: conn.close())
    msg = failure(port_of(listener))
    assert msg in closed_or_reset(port_of(listener))
    assert no_timeout_advice(msg)


def test_silent_port_times_out_waiting_for_the_banner(listener: socket.socket) -> None:
    listener.listen(8)  # the kernel completes the handshake; nobody ever speaks
    msg = failure(port_of(listener))
    assert msg == (
        f"r1 (127.0.0.1:{port_of(listener)}): timed out after 1s waiting for the SSH banner "
        "(the TCP connection was accepted)"
    )


def test_handshake_that_never_completes_times_out_waiting_for_tcp(listener: socket.socket) -> None:
    listener.listen(0)  # an accept queue of one, filled below: the kernel drops further SYNs
    with socket.create_connection(listener.getsockname(), timeout=5):
        msg = failure(port_of(listener))
    assert msg == f"r1 (127.0.0.1:{port_of(listener)}): timed out after 1s waiting for the TCP connection"


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp"])
def test_wrong_password_is_one_line_without_the_password(platform: str) -> None:
    server = ReplayServer(platform, "admin", PASSWORD)
    try:
        msg = failure(server.port, platform, password="Wrong-Pw-3x9q")
    finally:
        server.close()
    assert msg == f"r1 (127.0.0.1:{server.port}): authentication failed for user admin"
    assert server.logins == 0


class SilentServer(ReplayServer):
    """Completes SSH; then either never answers authentication or never prints a prompt."""

    def __init__(self, stall_auth: bool) -> None:
        self.stall_auth = stall_auth
        self.done = threading.Event()
        super().__init__("cisco_ios", "admin", PASSWORD)

    def _session(self, client: socket.socket) -> None:
        t = paramiko.Transport(client)
        t.add_server_key(host_key())
        auth = _Auth(self.user, self.password)
        if self.stall_auth:

            def stall(username: str, password: str) -> int:
                self.done.wait(30)
                return int(paramiko.AUTH_FAILED)

            auth.check_auth_password = stall  # type: ignore[method-assign]
        try:
            t.start_server(server=auth)
            chan = t.accept(10)  # kept open (and silent) until the test ends
            self.done.wait(30)
            if chan is not None:
                chan.close()
        except Exception:
            pass
        finally:
            t.close()

    def close(self) -> None:
        self.done.set()
        super().close()


def test_authentication_that_never_answers_times_out_waiting_for_authentication() -> None:
    server = SilentServer(stall_auth=True)
    try:
        msg = failure(server.port, "cisco_ios")
    finally:
        server.close()
    assert msg == f"r1 (127.0.0.1:{server.port}): timed out after 1s waiting for authentication (user admin)"


@pytest.mark.slow  # Netmiko reads for a prompt for ~10 s whatever the connection timeout
def test_no_prompt_after_login_times_out_waiting_for_the_prompt() -> None:
    server = SilentServer(stall_auth=False)
    try:
        msg = failure(server.port, "huawei_vrp")
    finally:
        server.close()
    assert msg == f"r1 (127.0.0.1:{server.port}): timed out waiting for the prompt after login"


def _wrapped(cause: BaseException) -> BaseException:
    """What Netmiko raises for a socket error: its own exception, raised while handling paramiko's."""
    exc = NetmikoTimeoutException("TCP connection to device failed.\n\nCommon causes of this problem are:")
    exc.__context__ = cause
    return exc


@pytest.mark.parametrize(
    ("cause", "said"),
    [
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to host"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network unreachable (no route)"),
        (NoValidConnectionsError({("10.0.0.1", 22): OSError(errno.EHOSTUNREACH, "x")}), "no route to host"),
        (
            NoValidConnectionsError({("10.0.0.1", 22): ConnectionRefusedError(errno.ECONNREFUSED, "x")}),
            "connection refused",
        ),
    ],
)
def test_no_route_and_the_other_socket_errors_are_named(cause: OSError, said: str) -> None:
    # (a real "no route to host" is in tests/safety/test_lab_guard_netns.py)
    assert open_failure(_wrapped(cause), "admin", 20) == said


def test_a_command_that_gets_no_answer_says_which_command() -> None:
    class Stalled:  # Netmiko's connection, after its read timeout
        def send_command(self, command: str, **kw: Any) -> str:
            raise ReadTimeout("Pattern not detected: 'r1#' in output.\n\n2. Increase the read_timeout")

    drv = driver_for("frr")(target(22))
    drv.conn = Stalled()  # type: ignore[attr-defined]
    with pytest.raises(DriverError) as exc:
        drv.get_running_config()
    assert str(exc.value) == "r1: timed out waiting for the device to answer (reading the running config)"


STDERR_PROBE = """
import socket, sys, threading
sys.path.insert(0, {root!r})
from infra.drivers import ConnectionFailed, DeviceTarget, driver_for
from infra.inventory.secrets import Secret

closing, silent = socket.socket(), socket.socket()
for s in (closing, silent):
    s.bind(("127.0.0.1", 0))
    s.listen(8)
def close_all():
    while True:
        closing.accept()[0].close()
threading.Thread(target=close_all, daemon=True).start()
for s in (closing, silent, closing):
    t = DeviceTarget("r1", "127.0.0.1", "admin", Secret("pw"), "frr", port=s.getsockname()[1], timeout=1)
    try:
        driver_for("frr")(t).open()
    except ConnectionFailed as exc:
        print(exc)
"""


def test_paramiko_prints_no_traceback_on_stderr() -> None:
    """paramiko logs each failed negotiation with a traceback (logger paramiko.transport), which
    Python prints on stderr when no handler is set up, as in the `infra` command."""
    p = subprocess.run(
        [sys.executable, "-c", STDERR_PROBE.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 3 and "timed out after 1s waiting for the SSH banner" in lines[1], p.stdout
    assert lines[0].endswith(("connection reset by the device", "before the SSH banner")), lines[0]
    assert p.stderr == "", p.stderr
