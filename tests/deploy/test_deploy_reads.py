"""What a deploy reads from a device, and when: the startup config only when it can matter, the
management probe on its own login after the settle time, and vtysh's prompt without a round trip."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from infra.deploy import DeployReport
from infra.deploy.verify import touches_adjacencies, touches_login
from infra.drivers.base import ConnectionFailed, DeviceTarget, Driver
from infra.drivers.configtree import same
from infra.drivers.frr import FrrDriver, VtyshConnection
from infra.inventory.secrets import Secret
from tests.deploy.fakes import BARE, FakeDriver, FakeNetwork

Run = Callable[..., DeployReport]


def _counting(net: FakeNetwork, calls: list[tuple[str, str, float]], fail_probe: str = "") -> None:
    """Record (host, operation, time) of startup reads, pushes and probes; a failing probe."""
    make = net.factory

    def factory(target: DeviceTarget) -> Driver:
        drv = make(target)
        assert isinstance(drv, FakeDriver)
        startup, push, probe, adjacencies = drv.get_startup_config, drv._push, drv.probe, drv.neighbours_up

        def neighbours() -> Any:
            calls.append((target.host, "neighbours", time.monotonic()))
            return adjacencies()

        def read_startup() -> str | None:
            calls.append((target.host, "startup", time.monotonic()))
            return startup()

        def pushed(lines: tuple[str, ...], revert_in: float | None) -> None:
            push(lines, revert_in)
            calls.append((target.host, "push", time.monotonic()))

        def probed(login: bool = True) -> None:
            calls.append((target.host, "login" if login else "banner", time.monotonic()))
            if target.host == fail_probe:
                raise ConnectionFailed(f"{target.host} (10.0.0.1): connection refused")
            probe(login)

        drv.get_startup_config = read_startup  # type: ignore[method-assign]
        drv._push = pushed  # type: ignore[method-assign]
        drv.probe = probed  # type: ignore[method-assign]
        drv.neighbours_up = neighbours  # type: ignore[method-assign]
        return drv

    net.factory = factory  # type: ignore[method-assign]


def _ops(calls: list[tuple[str, str, float]], host: str) -> list[str]:
    return [op for h, op, _ in calls if h == host]


def test_a_push_saves_without_reading_the_startup_config(run: Run, net: FakeNetwork) -> None:
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)
    net.startup["dc-core-1"] = BARE.replace("bare", "old")  # unsaved changes before the push
    report = run("dc-core-1")
    r = report.results.results["dc-core-1"]
    assert r.ok and r.changed and "applied and verified" in r.message
    assert "startup" not in _ops(calls, "dc-core-1")  # the save reconciles startup anyway
    assert net.startup["dc-core-1"] == net.configs["dc-core-1"]


def test_unsaved_changes_are_read_when_nothing_is_pushed_or_in_check(run: Run, net: FakeNetwork) -> None:
    run("dc-core-1")
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)
    net.startup["dc-core-1"] = BARE  # running = intent, never saved
    check = run("dc-core-1", check=True)
    assert check.results.results["dc-core-1"].details["unsaved"] > 0
    report = run("dc-core-1")
    assert "saved unsaved changes" in report.results.results["dc-core-1"].message
    assert _ops(calls, "dc-core-1") == ["startup", "startup"]  # nothing pushed, nothing probed
    # a pending change and unsaved lines are both reported by --check
    net.configs["dc-core-1"] = BARE
    net.startup["dc-core-1"] = BARE.replace("bare", "old")
    pending = run("dc-core-1", check=True).results.results["dc-core-1"]
    assert "would be sent" in pending.message and "unsaved changes" in pending.message


def test_a_management_login_refused_after_the_push_rolls_back(run: Run, net: FakeNetwork) -> None:
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls, fail_probe="dc-core-1")
    report = run("dc-core-1")
    r = report.results.results["dc-core-1"]
    assert report.exit_code == 1 and r.rolled_back and not r.changed
    assert "management address unreachable after the push" in r.message and "refused" in r.message
    assert same("frr", net.configs["dc-core-1"], BARE) and "dc-core-1" not in net.saves


def test_the_probe_logs_in_once_the_settle_time_has_passed(run: Run, net: FakeNetwork) -> None:
    run("dc-core-1")  # adjacencies up before the next push: it must wait for them to settle
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)

    def intent(inv: Any, host: Any) -> str:
        return net.configs[host.name] + "\ninterface bench0\n description a change\n"

    report = run("dc-core-1", intent=intent, settle_s=0.3)
    assert report.results.results["dc-core-1"].ok
    at = {op: t for h, op, t in calls if h == "dc-core-1"}
    assert at["banner"] - at["push"] >= 0.3


@pytest.mark.parametrize(
    "added",
    [
        "ntp server 10.0.0.99",
        "line vty\n exec-timeout 7 0",
        "access-list unused seq 5 permit 10.200.0.0/24",
    ],
)
def test_a_change_that_cannot_touch_an_adjacency_reads_none_before_the_push(
    run: Run, net: FakeNetwork, added: str
) -> None:
    run("dc-core-1")
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)
    report = run("dc-core-1", intent=lambda inv, host: net.configs[host.name] + "\n" + added + "\n")
    assert report.results.results["dc-core-1"].ok
    ops = _ops(calls, "dc-core-1")
    # nothing was up to keep, and no far end of this device's links is in the run: none to read
    assert ops[0] == "push" and "neighbours" not in ops, ops


@pytest.mark.parametrize(
    "added",
    [
        "interface bench0\n description a new interface",
        "access-list vty seq 5 permit 10.200.0.0/24\nline vty\n access-class vty",
        "ip route 10.99.0.0/24 Null0",
    ],
)
def test_a_change_that_can_touch_an_adjacency_reads_them_before_the_push(
    run: Run, net: FakeNetwork, added: str
) -> None:
    run("dc-core-1")
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)
    report = run("dc-core-1", intent=lambda inv, host: net.configs[host.name] + "\n" + added + "\n")
    assert report.results.results["dc-core-1"].ok
    assert _ops(calls, "dc-core-1")[:2] == ["neighbours", "push"]


@pytest.mark.parametrize(
    ("remediation", "configs", "touches"),
    [
        (["no ntp server 10.0.0.1", "ntp server 10.0.0.2"], [], False),
        (["line vty", "  exec-timeout 9 0", "  exit"], [], False),
        (["access-list bench seq 5 permit 10.200.0.0/24"], ["hostname r1\naccess-list bench seq 5 x"], False),
        (["no ip access-list extended MGMT"], ["hostname r1"], False),
        (["access-list bench seq 5 permit any"], ["route-map rm permit 10\n match ip address bench"], True),
        (["ip prefix-list pl seq 5 permit any"], ["router bgp 1\n neighbor 1.1.1.1 prefix-list pl in"], True),
        (["access-list 10 permit any"], ["interface e0\n ip access-group 10 in"], True),
        (["interface eth0", "  ip address 10.0.0.1/31"], [], True),
        (["router ospf", "  passive-interface eth1"], [], True),
        (["route-map rm permit 10"], [], True),
        (["hostname r2"], [], True),
    ],
)
def test_which_changes_can_touch_an_adjacency(
    remediation: list[str], configs: list[str], touches: bool
) -> None:
    assert touches_adjacencies(remediation, configs) is touches


@pytest.mark.parametrize(
    ("added", "probe"),
    [
        ("ntp server 10.0.0.99", "banner"),
        ("interface bench0\n ip address 10.99.0.1/24", "banner"),  # the path: TCP proves it
        ("access-list unused seq 5 permit 10.200.0.0/24", "banner"),
        ("line vty\n exec-timeout 7 0", "login"),
        ("access-list vty seq 5 permit 10.200.0.0/24\nline vty\n access-class vty", "login"),
        ("service password-encryption", "login"),
    ],
)
def test_a_change_that_can_affect_logins_is_proven_by_a_full_login(
    run: Run, net: FakeNetwork, added: str, probe: str
) -> None:
    run("dc-core-1")
    calls: list[tuple[str, str, float]] = []
    _counting(net, calls)
    report = run("dc-core-1", intent=lambda inv, host: net.configs[host.name] + "\n" + added + "\n")
    assert report.results.results["dc-core-1"].ok
    assert [op for op in _ops(calls, "dc-core-1") if op in ("login", "banner")] == [probe]


@pytest.mark.parametrize(
    ("remediation", "configs", "login"),
    [
        (["ntp server 10.0.0.2", "snmp-server community x"], [], False),
        (
            ["interface eth0", "  ip address 10.0.0.1/31", "router ospf", "  network 10.0.0.0/31 area 0"],
            [],
            False,
        ),
        (["access-list bench seq 5 permit any"], ["hostname r1"], False),
        (["access-list mgmt seq 5 permit any"], ["line vty\n access-class mgmt"], True),
        (["line vty", "  no access-class mgmt"], [], True),
        (["aaa authentication login default group tacacs+"], [], True),
        (["username admin privilege 15 secret x"], [], True),
        (["ip ssh version 2"], [], True),
        (["hostname r2"], [], True),
        (["user-interface vty 0 4", "  authentication-mode aaa"], [], True),
        (["undo local-user admin"], [], True),
    ],
)
def test_which_changes_need_a_full_login(remediation: list[str], configs: list[str], login: bool) -> None:
    assert touches_login(remediation, configs) is login


# ---- the SSH banner probe, against real sockets on loopback ---------------------------------
@pytest.fixture
def listener() -> Any:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock


def _serve(sock: socket.socket, answer: bytes | None) -> threading.Thread:
    """Accept one connection: send `answer` and close, or (None) keep it silent until closed."""

    def one() -> None:
        conn, _ = sock.accept()
        with conn:
            if answer is None:
                conn.recv(1)  # the probe gives up and closes
            else:
                conn.sendall(answer)

    thread = threading.Thread(target=one, daemon=True)
    thread.start()
    return thread


def _banner_probe(port: int) -> FrrDriver:
    return FrrDriver(DeviceTarget("r1", "127.0.0.1", "admin", Secret("pw"), "frr", port=port, timeout=1.0))


def test_the_banner_probe_passes_on_an_ssh_server(listener: socket.socket) -> None:
    thread = _serve(listener, b"a greeting line first\r\nSSH-2.0-OpenSSH_9.2p1 Debian\r\n")
    _banner_probe(listener.getsockname()[1]).probe(login=False)
    thread.join(5)


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (b"", "the device closed (or reset) the connection before the SSH banner"),
        (
            b"HTTP/1.1 400 Bad Request\r\n",
            "the device closed (or reset) the connection before the SSH banner",
        ),
        (None, "timed out after 1s waiting for the SSH banner (the TCP connection was accepted)"),
    ],
)
def test_the_banner_probe_fails_without_an_ssh_banner(
    listener: socket.socket, answer: bytes | None, cause: str
) -> None:
    port = listener.getsockname()[1]
    thread = _serve(listener, answer)
    with pytest.raises(ConnectionFailed) as exc:
        _banner_probe(port).probe(login=False)
    assert str(exc.value) == f"r1 (127.0.0.1:{port}): {cause}"
    thread.join(5)


def test_the_banner_probe_names_a_refused_connection() -> None:
    with socket.socket() as bound:  # bound, not listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(ConnectionFailed, match=rf"^r1 \(127.0.0.1:{port}\): connection refused$"):
            _banner_probe(port).probe(login=False)


# ---- vtysh's prompt -------------------------------------------------------------------------
class _Conn(VtyshConnection):
    def __init__(self) -> None:  # no session: only what the prompt and a push need
        self.base_prompt = "cpe-1"
        self.prompts_read = 0

    def set_base_prompt(self, *args: Any, **kwargs: Any) -> str:
        self.prompts_read += 1
        self.base_prompt = "cpe-renamed"
        return self.base_prompt


def _frr(conn: _Conn, reject: bool = False) -> FrrDriver:
    """A driver whose first push fails when `reject`: the rename may be applied all the same."""
    drv = FrrDriver(DeviceTarget("cpe-1", "10.0.0.1", "admin", Secret("pw"), "frr"))
    drv.conn = conn
    fail = [reject]

    def send(lines: list[str], **extra: Any) -> str:
        if fail.pop() if fail else False:
            raise ConnectionFailed("cpe-1: session lost during configuration")
        return ""

    drv._send_config = send  # type: ignore[method-assign]
    return drv


def test_the_end_of_an_answer_is_vtyshs_prompt_alone_on_the_last_line() -> None:
    import re

    pattern = _Conn()._prompt_handler(auto_find_prompt=True)
    assert re.search(pattern, "show running-config\r\nhostname cpe-1\r\nend\r\ncpe-1# ")
    assert not re.search(pattern, "show running-config\r\nhostname cpe-1\r\n")  # not the hostname line
    assert not re.search(pattern, "hostname cpe-1\r\ncpe-1# \r\n description x")  # not mid-answer
    long = _Conn()
    long.base_prompt = "cpe-so-nong-nghiep"[:16]  # Netmiko's base_prompt keeps 16 characters
    answer = "show running-config\r\nhostname cpe-so-nong-nghiep\r\nend\r\ncpe-so-nong-nghiep# "
    assert re.search(long._prompt_handler(auto_find_prompt=True), answer)


@pytest.mark.parametrize("reject", [False, True])
def test_a_push_that_renames_the_router_reads_the_new_prompt(reject: bool) -> None:
    conn = _Conn()
    drv = _frr(conn, reject)
    if reject:
        with pytest.raises(ConnectionFailed):
            drv._push(("hostname cpe-renamed",), None)
    else:
        drv._push(("hostname cpe-renamed",), None)
    assert conn.prompts_read == 1 and conn.base_prompt == "cpe-renamed"
    drv._push(("access-list a seq 5 permit any",), None)
    assert conn.prompts_read == 1  # other pushes keep the prompt they know
