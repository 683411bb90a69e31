"""Why a connection to a device failed, in one line an operator can act on.

Netmiko folds every failure to open a session into a few exception types whose texts carry a
help page ("Common causes of this problem are ...") and, for a silent SSH server, advice to
raise `conn_timeout`. The real cause is still in the exception chain (paramiko's socket error,
its banner error, its authentication error): `open_failure` reads it back and names host,
address and cause: refused, reset, no route, closed, authentication failed, or which wait timed
out (TCP connect, SSH banner, authentication, the prompt after login).

paramiko's transport thread also logs every failed negotiation with a traceback on the
`paramiko.transport` logger, which Python prints on stderr when nothing else handles it;
`quiet_paramiko()` keeps those records away from the terminal, since the driver reports the
cause itself.
"""

from __future__ import annotations

import errno
import logging
import socket

from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout
from paramiko.ssh_exception import NoValidConnectionsError, SSHException

_ERRNO = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the device",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable (no route)",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by the device",
}


def quiet_paramiko() -> None:
    """Keep paramiko's per-connection error tracebacks off stderr (the driver reports them)."""
    log = logging.getLogger("paramiko.transport")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it was raised while handling, and so on (paramiko's wrapped errors too)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if any(e is s for s in seen):
            continue
        seen.append(e)
        if isinstance(e, NoValidConnectionsError):
            todo += list(e.errors.values())
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
    return seen


def os_error_cause(exc: BaseException) -> str | None:
    """ "connection refused", "no route to host", ... for a socket error anywhere in the chain."""
    for e in _chain(exc):
        if isinstance(e, TimeoutError | socket.timeout):
            continue
        if isinstance(e, OSError) and e.errno in _ERRNO:
            return _ERRNO[e.errno]
    return None


# Netmiko's steps once SSH is up: a platform's login handler (VRP's password-change prompt),
# then session preparation (read the prompt, disable paging)
_AFTER_LOGIN = ("special_login_handler", "_try_session_preparation", "session_preparation")


def _after_login(exc: BaseException) -> bool:
    """Whether the failure came from Netmiko's session preparation (logged in, reading the
    prompt) rather than from establishing the SSH connection."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in _AFTER_LOGIN:
            return True
        tb = tb.tb_next
    return False


def _timed_out(exc: BaseException) -> bool:
    return any(isinstance(e, TimeoutError | socket.timeout) for e in _chain(exc))


def open_failure(exc: BaseException, username: str, timeout: float) -> str:
    """The cause of a failed `open()`, without Netmiko's help text and never a password."""
    texts = " ".join(str(e) for e in _chain(exc))
    wait = f"timed out after {timeout:g}s waiting for"
    if isinstance(exc, NetmikoAuthenticationException) or "Authentication timeout" in texts:
        if "Authentication timeout" in texts:
            return f"{wait} authentication (user {username})"
        return f"authentication failed for user {username}"
    if _after_login(exc):
        if isinstance(exc, ReadTimeout) or _timed_out(exc) or "Timed out waiting for data" in texts:
            return "timed out waiting for the prompt after login"
        cause = os_error_cause(exc)
        return f"the session ended right after login{f' ({cause})' if cause else ''}"
    cause = os_error_cause(exc)
    if cause is not None:
        return cause
    if "TCP connection to device failed" in texts or (isinstance(exc, OSError) and _timed_out(exc)):
        return f"{wait} the TCP connection" if _timed_out(exc) else "TCP connection failed"
    if "No existing session" in texts:  # negotiation did not finish within the timeout
        return f"{wait} the SSH banner (the TCP connection was accepted)"
    if "Error reading SSH protocol banner" in texts or isinstance(exc, EOFError):
        if _timed_out(exc):
            return f"{wait} the SSH banner (the TCP connection was accepted)"
        return "the device closed (or reset) the connection before the SSH banner"
    if isinstance(exc, SSHException):
        return f"SSH negotiation failed: {_first_line(exc)}"
    return f"cannot open a session: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def command_failure(exc: BaseException, what: str) -> str | None:
    """The cause of a failed command on an open session, when it is a timeout or a lost
    connection (None: some other error)."""
    if isinstance(exc, ReadTimeout):
        return f"timed out waiting for the device to answer ({what})"
    cause = os_error_cause(exc)
    if cause is not None:
        return f"session lost during {what}: {cause}"
    return None
