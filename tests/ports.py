"""Loopback ports for the test suite's daemons (snmpd, the exporters, Prometheus, Alertmanager).

Binding port 0 and closing the socket before a daemon binds the number races: the kernel may
hand the same ephemeral port out again (to the next `bind(0)` of the same test, or to any
outgoing connection on the machine) before the daemon gets it. This allocator removes each way
that can happen:

- it picks from a range *outside* the kernel's ephemeral range
  (/proc/sys/net/ipv4/ip_local_port_range), so no outgoing connection or `bind(0)` takes it;
- it never hands out the same port twice in one process;
- it holds an exclusive flock per port (a lock file in a directory shared by every pytest
  session on the machine) for the rest of the process, so concurrent sessions, e.g. several
  worktrees testing at once, never share a port;
- it skips a port something else already listens on (TCP or UDP, on 127.0.0.1 and ::1).

A program that does not use this module may still bind a port in the range at any time, so a
caller whose daemon can fail to bind should retry with a fresh port (`BIND_RETRIES` times):
`grep -n "port_in_use" tests` shows how the suite recognises that failure.

Usage: `from tests.ports import free_port, free_ports, port_in_use`.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import socket
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
BIND_RETRIES = 3
LOCK_DIR = Path(os.environ.get("INFRA_TEST_PORT_LOCKS", Path(tempfile.gettempdir()) / "infra-test-ports"))
# Daemons' "address in use" messages, for callers that retry (snmpd, Go and Python servers).
BIND_FAILURES = (
    "Error opening specified endpoint",
    "address already in use",
    "Address already in use",
    "ports already in use",  # infra.monitoring.stack
)


class PortsExhausted(RuntimeError):
    """Every port of the allocator's range is held or busy."""


def ephemeral_range(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> tuple[int, int]:
    try:
        low, high = (int(x) for x in path.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


def port_range() -> range:
    """The larger of the two gaps around the ephemeral range, above the privileged ports.

    With Linux's default 32768-60999 that is 10000-32767: not 1024-9999, where well-known
    services (Prometheus 9090, the lab's 9100/9115, ...) listen."""
    low, high = ephemeral_range()
    below = range(10000, max(10000, low))
    above = range(min(high + 1, 65536), 65536)
    return below if len(below) >= len(above) else above


def _bindable(port: int) -> bool:
    """Nothing listens on PORT (TCP or UDP, IPv4 or IPv6 loopback) right now."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            try:
                with socket.socket(family, kind) as s:
                    if kind == socket.SOCK_STREAM:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT
                    s.bind((host, port))
            except OSError as e:
                if e.errno == errno.EADDRNOTAVAIL:  # no ::1 on this host: nothing can listen there
                    continue
                return False
    return True


class PortAllocator:
    """Hands out ports of PORTS that no other allocator (in any process) holds and nothing binds."""

    def __init__(self, ports: Sequence[int], lock_dir: Path = LOCK_DIR) -> None:
        self.ports = ports
        self.lock_dir = lock_dir
        self._held: dict[int, int] = {}  # port -> the fd holding its flock
        self._mutex = threading.Lock()
        self._next = random.Random(os.getpid()).randrange(len(ports)) if len(ports) else 0

    def _lock(self, port: int) -> int | None:
        try:
            self.lock_dir.mkdir(mode=0o1777, parents=True, exist_ok=True)
            fd = os.open(self.lock_dir / f"{port}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return None  # another user's lock file: not ours to take
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd

    def allocate(self) -> int:
        with self._mutex:
            for _ in range(len(self.ports)):
                port = self.ports[self._next]
                self._next = (self._next + 1) % len(self.ports)
                if port in self._held:
                    continue
                fd = self._lock(port)
                if fd is None:
                    continue
                if not _bindable(port):
                    os.close(fd)
                    continue
                self._held[port] = fd
                return port
        span = f"{min(self.ports)}-{max(self.ports)}" if self.ports else "none"
        raise PortsExhausted(f"no free port left among {len(self.ports)} ({span})")

    def release_all(self) -> None:
        with self._mutex:
            for fd in self._held.values():
                os.close(fd)
            self._held.clear()


_default: PortAllocator | None = None


def default_allocator() -> PortAllocator:
    global _default
    if _default is None:
        _default = PortAllocator(port_range())
    return _default


def free_port() -> int:
    """A loopback port (TCP and UDP) for a test daemon, held by this process until it exits."""
    return default_allocator().allocate()


def free_ports(n: int) -> list[int]:
    return [free_port() for _ in range(n)]


def port_in_use(log: str) -> bool:
    """Whether a daemon's output says it could not bind its port (then retry with fresh ports)."""
    return any(s in log for s in BIND_FAILURES)


def with_fresh_ports(n: int, start: Callable[[list[int]], T], bind_failed: Callable[[Exception], bool]) -> T:
    """START(ports) with N fresh ports; again with new ones (BIND_RETRIES in all) while it raises an
    exception that BIND_FAILED says is a failure to bind one of them."""
    for attempt in range(1, BIND_RETRIES + 1):
        try:
            return start(free_ports(n))
        except Exception as e:
            if attempt == BIND_RETRIES or not bind_failed(e):
                raise
    raise AssertionError("unreachable")
