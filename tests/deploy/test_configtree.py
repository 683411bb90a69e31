"""Remediation and rollback, tested the circular way: remediation applied to running gives
intended; rollback applied to intended gives running back (hier_config's model of the device)."""

from __future__ import annotations

import pytest

from infra.drivers.configtree import apply, compare, rollback, same

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
    assert change.remediation and rollback(platform, running, intended) and change.diff
    after = apply(platform, running, change.remediation)
    assert same(platform, after, intended)
    assert not same(platform, after, running)
    back = apply(platform, after, rollback(platform, running, intended))
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

    with pytest.raises(
        UnknownPlatform,
        match="no driver for platform 'junos' \\(known: cisco_ios, cisco_tp, frr, huawei_vrp\\)",
    ):
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
        assert same("frr", apply("frr", after, rollback("frr", bare, intended)), bare), name


# ---- platform quirks (infra/drivers/quirks.py) ----------------------------------------------

FRR_VTY = "line vty\n access-class vty-mgmt\n{timeout}exit\n"


def test_frr_vty_timeout_goes_back_to_the_default_by_setting_it() -> None:
    """`no exec-timeout 9 0` answers `% Unknown command` and `no exec-timeout` turns the timeout
    off (FRR then shows `exec-timeout 0 0`): back to the hidden default 10 is `exec-timeout 10 0`."""
    default = FRR_VTY.format(timeout="")
    nine = FRR_VTY.format(timeout=" exec-timeout 9 0\n")
    eleven = FRR_VTY.format(timeout=" exec-timeout 11 0\n")
    back = ("line vty", "  exec-timeout 10 0", "  exit")
    assert compare("frr", nine, default).remediation == back
    assert rollback("frr", default, nine) == back
    assert compare("frr", nine, eleven).remediation == ("line vty", "  exec-timeout 11 0", "  exit")
    assert same("frr", apply("frr", nine, back), default)
    assert same("frr", default, FRR_VTY.format(timeout=" exec-timeout 10 0\n"))  # FRR hides it


def test_frr_ospf_area_is_negated_before_the_new_area() -> None:
    """FRR refuses `ip ospf area 1` while area 0 is set (`Must remove previous area config`)."""
    a = "interface eth1\n ip address 10.0.0.1/31\n ip ospf area 0\nexit\n"
    b = a.replace("area 0", "area 1")
    lines = [x.strip() for x in compare("frr", a, b).remediation]
    assert lines.index("no ip ospf area 0") < lines.index("ip ospf area 1")
    assert same("frr", apply("frr", a, compare("frr", a, b).remediation), b)


BGP = {
    "frr": "router bgp 65010\n neighbor {ip} remote-as 64600\n neighbor {ip} password s3cret\n"
    " neighbor {ip} timers connect 2\n address-family ipv4 unicast\n  network 10.64.1.0/24\n"
    " exit-address-family\nexit\n",
    "cisco_ios": "router bgp 65010\n neighbor {ip} remote-as 64600\n neighbor {ip} password s3cret\n"
    " address-family ipv4\n  network 10.64.1.0 mask 255.255.255.0\n  neighbor {ip} activate\n"
    " exit-address-family\n",
    "huawei_vrp": "bgp 65010\n peer {ip} as-number 64600\n peer {ip} password cipher s3cret\n"
    " ipv4-family unicast\n  network 10.64.1.0 255.255.255.0\n  peer {ip} enable\n",
}


@pytest.mark.parametrize("platform", sorted(BGP))
def test_a_removed_peer_takes_its_own_lines_with_it(platform: str) -> None:
    """Once `no neighbor X remote-as` ran, `no neighbor X password` is refused (`% Specify
    remote-as or peer-group commands first`): only the owner line is negated."""
    old, new = BGP[platform].format(ip="10.124.0.24"), BGP[platform].format(ip="10.124.0.26")
    change = compare(platform, old, new)
    negations = [x.strip() for x in change.remediation if x.strip().startswith(("no ", "undo "))]
    assert len(negations) == 1 and "10.124.0.24" in negations[0], change.remediation
    assert same(platform, apply(platform, old, change.remediation), new)
    assert same(platform, apply(platform, new, rollback(platform, old, new)), old)


def test_quirks_cannot_both_replace_in_place_and_negate_first() -> None:
    from infra.drivers.quirks import Quirks

    with pytest.raises(ValueError, match="both replace in place"):
        Quirks(
            replace_in_place=(("interface ", "ip ospf area "),),
            negate_before_replace=(("interface ", "ip ospf area "),),
        )


@pytest.mark.parametrize("platform", ["frr", "cisco_ios", "huawei_vrp"])
def test_negate_first_commands_are_not_replaced_in_place(platform: str) -> None:
    from infra.drivers.treerules import RULES

    q = RULES[platform].quirks
    assert q.negate_before_replace, platform
    assert not set(q.negate_before_replace) & set(q.replace_in_place)


def test_ios_acl_entries_are_removed_by_sequence_number() -> None:
    """Cisco: an entry cannot be overwritten by its sequence number; `no 10` removes it."""
    a = "ip access-list standard VTY-MGMT\n 10 permit 10.127.0.0 0.0.255.255\n 20 deny any log\n"
    b = a.replace("0.0.255.255", "0.0.127.255")
    change = compare("cisco_ios", a, b)
    lines = [x.strip() for x in change.remediation]
    assert lines[1:3] == ["no 10", "10 permit 10.127.0.0 0.0.127.255"], lines
    assert same("cisco_ios", apply("cisco_ios", a, change.remediation), b)
    assert same("cisco_ios", apply("cisco_ios", b, rollback("cisco_ios", a, b)), a)


def test_vrp_acl_rules_change_in_place_and_go_by_number() -> None:
    a = "acl number 3000\n rule 5 permit ip source 10.127.0.43 0\n rule 10 permit ip source 10.127.0.44 0\n"
    b = a.replace("10.127.0.43", "10.127.0.143")
    assert [x.strip() for x in compare("huawei_vrp", a, b).remediation][1:-1] == [
        "rule 5 permit ip source 10.127.0.143 0"
    ]
    c = "acl number 3000\n rule 5 permit ip source 10.127.0.43 0\n"
    change = compare("huawei_vrp", a, c)
    assert [x.strip() for x in change.remediation][1:-1] == ["undo rule 10"]
    assert same("huawei_vrp", apply("huawei_vrp", a, change.remediation), c)


def test_vrp_ospf_router_id_is_entered_over_the_process_not_undone() -> None:
    a = "ospf 1 router-id 10.126.0.1\n area 0.0.0.0\n  network 10.124.0.0 0.0.0.1\n"
    b = a.replace("10.126.0.1", "10.126.0.201")
    change = compare("huawei_vrp", a, b)
    assert change.remediation == ("ospf 1 router-id 10.126.0.201",)
    assert same("huawei_vrp", apply("huawei_vrp", a, change.remediation), b)
