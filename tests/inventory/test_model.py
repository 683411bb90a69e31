"""The example province loads into typed models and its topology is derived from one entry each."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from infra.inventory import Inventory, Platform, Role
from infra.inventory.topology import end_addresses, lab_ifname


def test_example_province_has_what_the_issue_asks(example_inventory: Inventory) -> None:
    inv = example_inventory
    roles = [h.role for h in inv.hosts.values()]
    assert roles.count(Role.CORE_ROUTER) == 2
    assert roles.count(Role.FIREWALL) >= 1
    assert roles.count(Role.DC_SWITCH) >= 2
    servers = {h.name for h in inv.by_role(Role.SERVER)}
    assert len(servers) >= 6
    for needed in ("mail", "portal", "onestop", "lgsp", "monitor", "log"):
        assert any(needed in s for s in servers), needed
    assert inv.wan_vpn is not None
    spokes = [inv.hosts[t.spoke] for t in inv.wan_vpn.tunnels]
    kinds = [inv.sites[h.site].kind.value for h in spokes]
    assert kinds.count("department") >= 10 and kinds.count("commune") >= 10
    # a dedicated-data-network CPE per agency
    agencies = {s for s, site in inv.sites.items() if site.agency}
    assert agencies == {h.site for h in inv.by_role(Role.CPE)}
    assert len(inv.by_role(Role.ACCESS_SWITCH)) >= 4
    campus_vlans = inv.vlans_at("campus")
    assert len(campus_vlans) >= 4 and len({v.unit for v in campus_vlans}) == len(campus_vlans)
    assert len(inv.by_role(Role.VC_ENDPOINT)) >= 6
    for role in (Role.UPS, Role.PDU, Role.ENV_SENSOR):
        assert len(inv.by_role(role)) >= 2
    assert {h.platform for h in inv.hosts.values()} == set(Platform)


def test_both_ends_of_a_link_come_from_one_entry(example_inventory: Inventory) -> None:
    inv = example_inventory
    link = next(lk for lk in inv.links if lk.id == "dc-core-1--wan-hub-1")
    a_addr, b_addr = end_addresses(link.subnet)
    a_if = next(i for i in inv.interfaces["dc-core-1"] if i.link_id == link.id)
    b_if = next(i for i in inv.interfaces["wan-hub-1"] if i.link_id == link.id)
    assert (a_if.address, b_if.address) == (a_addr, b_addr)
    assert a_if.peer_address == b_addr.ip and b_if.peer_address == a_addr.ip
    assert a_if.peer_host == "wan-hub-1" and b_if.peer_interface == a_if.name
    assert a_if.ospf_area == b_if.ospf_area == 0


def test_tunnel_and_bgp_session_are_symmetric(example_inventory: Inventory) -> None:
    inv = example_inventory
    assert inv.wan_vpn
    t = inv.wan_vpn.tunnels[0]
    hub_if = next(i for i in inv.interfaces[inv.wan_vpn.hub] if i.link_id == t.id)
    spoke_if = next(i for i in inv.interfaces[t.spoke] if i.link_id == t.id)
    assert hub_if.peer_address == spoke_if.address.ip  # type: ignore[union-attr]
    assert spoke_if.peer_address == hub_if.address.ip  # type: ignore[union-attr]
    assert hub_if.lab_name == f"wg{t.number}" and spoke_if.lab_name == "wg0"
    (session,) = inv.bgp_sessions[t.spoke]
    back = [s for s in inv.bgp_sessions[session.peer_host] if s.peer_host == t.spoke]
    assert len(back) == 1
    assert back[0].peer_address == session.local_address
    assert back[0].remote_as == inv.hosts[t.spoke].bgp_asn
    assert session.remote_as == inv.carrier.asn


def test_every_address_is_used_once(example_inventory: Inventory) -> None:
    seen: dict[IPv4Address, str] = {}
    for host, ifaces in example_inventory.interfaces.items():
        for i in ifaces:
            if i.address is not None and i.kind != "lan":
                assert i.address.ip not in seen, (host, i.name, seen.get(i.address.ip))
                seen[i.address.ip] = host


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GigabitEthernet0/0/1", "ge0-0-1"),
        ("TenGigabitEthernet1/1/2", "te1-1-2"),
        ("eth1", "eth1"),
        ("XGigabitEthernet0/0/10", "xge0-0-10"),
        ("Vlanif110", "vlan110"),
    ],
)
def test_lab_interface_names_fit_linux(name: str, expected: str) -> None:
    assert lab_ifname(name) == expected
    assert len(lab_ifname(name)) <= 15


def test_stand_in_platform_is_frr_only_for_network_devices(example_inventory: Inventory) -> None:
    inv = example_inventory
    assert inv.stand_in_platform(inv.hosts["dc-core-1"]) is Platform.FRR
    assert inv.hosts["dc-core-1"].platform is Platform.CISCO_IOS
    assert inv.stand_in_platform(inv.hosts["srv-mail-1"]) is Platform.LINUX


def test_models_are_frozen(example_inventory: Inventory) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        example_inventory.hosts["dc-core-1"].site = "elsewhere"  # type: ignore[misc]
