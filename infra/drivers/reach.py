"""Reaching a device's SSH server without logging in: TCP, then its identification line.

Verification's management probe uses this when the change cannot affect the login itself
(`infra.deploy.verify.touches_login`): it proves the management address is reachable and its
SSH server answers, at the cost of one TCP handshake instead of a key exchange, an
authentication and a shell on the device.
"""

from __future__ import annotations

import socket
import time

from infra.drivers.connect_errors import os_error_cause


def ssh_banner(address: str, port: int, timeout: float) -> str:
    """The server's `SSH-2.0-...` line; OSError (with an operator's cause) if it does not come."""
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except TimeoutError:
        raise OSError(f"timed out after {timeout:g}s waiting for the TCP connection") from None
    except OSError as exc:
        raise OSError(os_error_cause(exc) or f"TCP connection failed: {exc}") from None
    with sock:
        seen = b""
        while True:  # RFC 4253: lines before the identification line are allowed
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(256)
            except TimeoutError:
                raise OSError(
                    f"timed out after {timeout:g}s waiting for the SSH banner (the TCP connection "
                    "was accepted)"
                ) from None
            except OSError as exc:
                raise OSError(os_error_cause(exc) or f"connection lost: {exc}") from None
            if not data:
                raise OSError("the device closed (or reset) the connection before the SSH banner")
            seen += data
            for line in seen.split(b"\n")[:-1]:
                if line.startswith(b"SSH-"):
                    return line.decode("ascii", "replace").strip()
            if len(seen) > 8192:
                raise OSError("no SSH banner in the first 8 KiB the device sent")
