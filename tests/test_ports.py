"""The test suite's port allocator (tests/ports.py): ports handed out are distinct, outside the
kernel's ephemeral range, and never one that another process holds or binds."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ports import PortAllocator, PortsExhausted, ephemeral_range, free_ports, port_range

ROOT = Path(__file__).resolve().parents[1]


def test_many_allocations_are_distinct_and_outside_the_ephemeral_range() -> None:
    ports = free_ports(300)
    assert len(set(ports)) == 300
    low, high = ephemeral_range()
    assert all(p in port_range() and not low <= p <= high for p in ports)


def _hold(code: str) -> subprocess.Popen[str]:
    """A child process that runs CODE, prints a line, and holds what it took until stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", f"{code}\nimport sys\nsys.stdout.flush()\nsys.stdin.read()"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc


def test_a_port_held_or_bound_by_another_process_is_never_handed_out(tmp_path: Path) -> None:
    locked, bound, free = free_ports(3)
    locks = tmp_path / "locks"
    other_session = _hold(
        "from pathlib import Path\nfrom tests.ports import PortAllocator\n"
        f"print(PortAllocator([{locked}], Path({str(locks)!r})).allocate())"
    )
    other_daemon = _hold(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"s.bind(('127.0.0.1', {bound}))\nprint('bound')"
    )
    try:
        allocator = PortAllocator([locked, bound, free], locks)
        assert allocator.allocate() == free
        with pytest.raises(PortsExhausted):
            allocator.allocate()
    finally:
        for proc in (other_session, other_daemon):
            proc.communicate("")
    # once the other session exits, its port is free again
    assert PortAllocator([locked], locks).allocate() == locked


def test_a_tcp_listener_on_ipv6_loopback_makes_the_port_busy(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", port))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with s:
        s.listen()
        with pytest.raises(PortsExhausted):
            PortAllocator([port], tmp_path).allocate()
