"""Remediation and rollback, tested the circular way: remediation applied to running gives
intended; rollback applied to intended gives running back (hier_config's model of the device)."""

from __future__ import annotations

import pytest

from infra.drivers.configtree import apply, compare, same

FRR_RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname cpe-old
log syslog informational
service integrated-vtysh-config
!
interface eth1
 description to pe
 ip address 10.124.0.1/31
 ip ospf message-digest-key 1 md5 OldKey12
 ip ospf hello-interval 10
exit
!
interface lo
 ip address 10.126.0.9/32
exit
!
router bgp 65021
 bgp router-id 10.126.0.9
 neighbor 10.124.0.0 remote-as 64600
 !
 address-family ipv4 unicast
  network 10.30.0.0/24
 exit-address-family
exit
!
router ospf
 ospf router-id 10.126.0.9
 network 10.124.0.0/31 area 0
exit
!
end
"""

FRR_INTENDED = """hostname cpe-new
log syslog informational
service integrated-vtysh-config
interface eth1
 description to carrier PE
 ip address 10.124.0.3/31
 ip ospf message-digest-key 1 md5 NewKey34
 ip ospf hello-interval 1
 ip ospf dead-interval 4
interface lo
 ip address 10.126.0.9/32
router bgp 65021
 bgp router-id 10.126.0.9
 neighbor 10.124.0.2 remote-as 64600
 address-family ipv4 unicast
  network 10.30.0.0/24
  network 10.31.0.0/24
 exit-address-family
router ospf
 ospf router-id 10.126.0.9
 network 10.124.0.2/31 area 0
"""

IOS_RUNNING = """Building configuration...

Current configuration : 1200 bytes
!
version 15.9
hostname WAN-HUB-1
!
interface GigabitEthernet0/0/1
 description old
 ip address 10.124.0.3 255.255.255.254
 ip ospf hello-interval 10
!
router ospf 1
 router-id 10.126.0.6
 network 10.124.0.2 0.0.0.1 area 0
!
ip access-list standard MGMT
 permit 10.127.0.0 0.0.255.255
!
end
"""

IOS_INTENDED = """hostname wan-hub-1
interface GigabitEthernet0/0/1
 description p2p to dc-core-1
 ip address 10.124.0.3 255.255.255.254
 ip ospf hello-interval 1
 ip ospf dead-interval 4
router ospf 1
 router-id 10.126.0.6
 network 10.124.0.2 0.0.0.1 area 0
ip access-list standard MGMT
 permit 10.127.0.0 0.0.255.255
line vty 0 4
 access-class MGMT in
 transport input ssh
"""

VRP_RUNNING = """!Software Version V800R011C00SPC607B607
sysname CPE-OLD
#
interface GigabitEthernet0/0/1
 description old
 ip address 10.124.0.5 255.255.255.254
 ospf timer hello 10
#
ospf 1 router-id 10.126.0.12
 area 0.0.0.0
  network 10.124.0.4 0.0.0.1
#
return
"""

VRP_INTENDED = """sysname cpe-so-tai-chinh
interface GigabitEthernet0/0/1
 description carrier access
 ip address 10.124.0.5 255.255.255.254
 ospf timer hello 1
 ospf timer dead 4
ospf 1 router-id 10.126.0.12
 area 0.0.0.0
  network 10.124.0.4 0.0.0.1
  network 10.30.2.0 0.0.0.255
"""

CASES = [
    ("frr", FRR_RUNNING, FRR_INTENDED),
    ("cisco_ios", IOS_RUNNING, IOS_INTENDED),
    ("huawei_vrp", VRP_RUNNING, VRP_INTENDED),
]


@pytest.mark.parametrize(("platform", "running", "intended"), CASES, ids=[c[0] for c in CASES])
def test_remediation_then_rollback_round_trip(platform: str, running: str, intended: str) -> None:
    change = compare(platform, running, intended)
    assert change.remediation and change.rollback and change.diff
    after = apply(platform, running, change.remediation)
    assert same(platform, after, intended)
    assert not same(platform, after, running)
    back = apply(platform, after, change.rollback)
    assert same(platform, back, running)


@pytest.mark.parametrize(("platform", "running", "intended"), CASES, ids=[c[0] for c in CASES])
def test_no_change_no_remediation(platform: str, running: str, intended: str) -> None:
    assert compare(platform, running, running).empty
    assert compare(platform, intended, intended).empty


def test_frr_banners_and_section_ends_are_not_drift() -> None:
    assert same("frr", FRR_RUNNING, FRR_RUNNING.replace("frr version 8.4.4", "frr version 9.1"))
    assert same(
        "frr", "interface lo\n ip address 10.0.0.1/32\nexit\n", "interface lo\n ip address 10.0.0.1/32\n"
    )


def test_frr_replaced_values_are_single_commands() -> None:
    change = compare("frr", FRR_RUNNING, FRR_INTENDED)
    lines = [x.strip() for x in change.remediation]
    # hostname / timers replace in place; addresses and keys are removed then added (FRR keeps both)
    assert "no hostname cpe-old" not in lines and "hostname cpe-new" in lines
    assert "no ip ospf hello-interval 10" not in lines and "ip ospf hello-interval 1" in lines
    assert lines.index("no ip address 10.124.0.1/31") < lines.index("ip address 10.124.0.3/31")
    assert "exit-address-family" in lines  # sections are closed the vtysh way


def test_unknown_platform_is_a_clear_error() -> None:
    from infra.drivers import UnknownPlatform, driver_for

    with pytest.raises(UnknownPlatform, match="no driver for platform 'junos' \\(known: cisco_ios, frr"):
        driver_for("junos")
    with pytest.raises(ValueError, match="no configuration-tree rules for platform 'junos'"):
        compare("junos", "", "")


def test_rendered_intent_round_trips_from_bare_frr(example_inventory) -> None:  # type: ignore[no-untyped-def]
    render = pytest.importorskip("infra.render")
    inv = example_inventory
    bare = (
        "frr version 8.4.4\nfrr defaults traditional\nhostname frr\nservice integrated-vtysh-config\n!\nend\n"
    )
    devices = [h.name for h in inv.hosts.values() if h.is_network_device]
    assert len(devices) > 20
    for name in devices:
        intended = render.render_host(inv, name, mask_secrets=True)
        change = compare("frr", bare, intended)
        after = apply("frr", bare, change.remediation)
        assert same("frr", after, intended), name
        assert same("frr", apply("frr", after, change.rollback), bare), name
