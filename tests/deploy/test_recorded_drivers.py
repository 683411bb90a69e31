"""Cisco IOS and Huawei VRP drivers against recorded sessions (no such device runs here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.drivers import DeviceTarget, Driver, driver_for
from infra.drivers.configtree import same
from infra.drivers.neighbours import Adjacency
from infra.inventory.secrets import Secret
from tests.conftest import LAB_SECRETS
from tests.deploy.contract import run_contract
from tests.deploy.replay import ReplayServer

PASSWORD = "Lab-Dev1ce-Pw-7f3k"
OSPF_KEY = "LabOspf8"

INTENDED = {
    "cisco_ios": """service timestamps debug datetime msec
service timestamps log datetime msec
hostname WAN-HUB-1
archive
 path flash:infra-archive
 maximum 5
interface Loopback0
 ip address 10.126.0.6 255.255.255.255
interface GigabitEthernet0/0/1
 description p2p to dc-core-1
 ip address 10.124.0.3 255.255.255.254
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf message-digest-key 1 md5 LabOspf8
router ospf 1
 router-id 10.126.0.6
 network 10.124.0.2 0.0.0.1 area 0
 network 10.126.0.6 0.0.0.0 area 0
ip access-list standard vty-mgmt
 10 permit 10.127.0.0 0.0.255.255
line vty 0 4
 access-class vty-mgmt in
 transport input ssh
""",
    "huawei_vrp": """sysname CPE-SO-TAI-CHINH
interface GigabitEthernet0/0/1
 description carrier access to tslcd-pe-1
 ip address 10.124.0.26 255.255.255.254
 ospf timer hello 1
 ospf authentication-mode md5 1 cipher LabOspf8
ospf 1 router-id 10.126.0.10
 area 0.0.0.1
  network 10.122.0.2 0.0.0.1
  network 10.64.1.0 0.0.0.255
user-interface vty 0 4
 acl 2000 inbound
 protocol inbound ssh
""",
}


@pytest.fixture(params=["cisco_ios", "huawei_vrp"])
def server(request: pytest.FixtureRequest) -> Iterator[ReplayServer]:
    srv = ReplayServer(request.param, "admin", PASSWORD)
    srv.platform = request.param  # type: ignore[attr-defined]
    yield srv
    srv.close()


def make(server: ReplayServer, log: Path | None = None) -> Driver:
    platform = server.platform  # type: ignore[attr-defined]
    target = DeviceTarget(
        host="r1",
        address="127.0.0.1",
        port=server.port,
        username="admin",
        password=Secret(PASSWORD),
        platform=platform,
        timeout=10,
        session_log=log,
        hidden=(PASSWORD, OSPF_KEY),
    )
    return driver_for(platform)(target)


def test_contract(server: ReplayServer) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    run_contract(lambda: make(server), INTENDED[platform], "bogus command")


def test_commit_confirm_uses_the_devices_own_revert_timer(server: ReplayServer) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    with make(server) as drv:
        drv.load_candidate(INTENDED[platform])
        drv.commit(revert_in=90)
        assert server.device.armed
        drv.confirm()
        assert not server.device.armed
        drv.save()
    sent = [line.strip() for line in server.device.received]
    if platform == "cisco_ios":
        assert "configure terminal revert timer 2" in sent  # 90 s rounds up to whole minutes
        assert sent.index("configure confirm") > sent.index("configure terminal revert timer 2")
        assert "write memory" in sent
    else:
        assert "commit trial 90" in sent and sent.count("commit") == 1  # the confirming commit
        assert "save" in sent and "y" in sent
    assert server.device.saved == server.device.running


def test_rollback_while_armed_asks_the_device_to_revert(server: ReplayServer) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    with make(server) as drv:
        before = drv.get_running_config()
        drv.load_candidate(INTENDED[platform])
        drv.commit(revert_in=60)
        drv.rollback()
        assert drv.get_running_config() == before
    revert = "configure revert now" if platform == "cisco_ios" else "cancel trial"
    assert revert in [line.strip() for line in server.device.received]


def test_only_the_remediation_is_sent(server: ReplayServer) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    with make(server) as drv:
        drv.load_candidate(INTENDED[platform])
        change = drv.commit(revert_in=None)
    sent = [line.strip() for line in server.device.received]
    for line in change.remediation:
        if line.strip() not in ("exit",):
            assert line.strip() in sent
    assert "transport input ssh" not in sent and "protocol inbound ssh" not in sent  # unchanged lines


def test_session_log_is_masked(server: ReplayServer, tmp_path: Path) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    log = tmp_path / "session.log"
    with make(server, log) as drv:
        drv.load_candidate(INTENDED[platform])
        drv.commit(revert_in=None)
        drv.save()
    text = log.read_text()
    assert "md5" in text and "********" in text  # the secret-bearing line was logged, masked
    for secret in LAB_SECRETS:
        assert secret not in text


def test_wrong_password_is_a_clear_connection_error(server: ReplayServer) -> None:
    from infra.drivers import ConnectionFailed

    platform = server.platform  # type: ignore[attr-defined]
    target = DeviceTarget(
        host="r1",
        address="127.0.0.1",
        port=server.port,
        username="admin",
        password=Secret("wrong"),
        platform=platform,
        timeout=5,
    )
    wrong = r"^r1 \(127\.0\.0\.1:\d+\): authentication failed for user admin$"
    with pytest.raises(ConnectionFailed, match=wrong):
        driver_for(platform)(target).open()


def test_neighbours_up_from_the_devices_own_show_commands(server: ReplayServer) -> None:
    platform = server.platform  # type: ignore[attr-defined]
    with make(server) as drv:
        up = drv.neighbours_up()
    if platform == "cisco_ios":
        assert up == {  # not the INIT one, not the Active one
            Adjacency("ospf", "10.124.0.2", "GigabitEthernet0/0/1", "10.126.0.1"),
            Adjacency("ospf", "10.122.0.1", "Tunnel1", "10.126.0.9"),
            Adjacency("bgp", "10.124.0.23"),
        }
    else:
        assert up == {  # not the ExStart one; VRP's brief view shows no neighbour address
            Adjacency("ospf", "", "Tunnel0/0/0", "10.126.0.6"),
            Adjacency("bgp", "10.124.0.27"),
        }


def test_unsaved_changes_are_seen_in_the_startup_config(server: ReplayServer) -> None:
    """Running and startup compared as trees: equal after boot, different after an unsaved
    commit, equal again once saved (the banner lines of each command are not config)."""
    platform = server.platform  # type: ignore[attr-defined]
    with make(server) as drv:
        startup = drv.get_startup_config()
        assert startup is not None and same(platform, startup, drv.get_running_config())
        drv.load_candidate(INTENDED[platform])
        drv.commit(revert_in=None)
        startup = drv.get_startup_config()
        assert startup is not None and not same(platform, startup, drv.get_running_config())
        drv.save()
        startup = drv.get_startup_config()
        assert startup is not None and same(platform, startup, drv.get_running_config())
