"""The template variables of one device: the inventory model turned into plain, platform-named data.

Templates receive only what is built here (plain dicts, lists, strings and ints). Secret values
reach a template through one explicit entry, `secret('ospf_key')`, which gives `<secret>` when
rendering masked (for `--diff`, backups, golden files) and the real value only for a push.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network
from typing import Any
from weakref import WeakKeyDictionary

from infra.inventory import Host, Interface, Inventory, Platform, Role
from infra.inventory.models import NETWORK_PLATFORMS, SECRET_FIELDS, Vlan
from infra.inventory.secrets import MASK
from infra.inventory.topology import loopback_ifname, mgmt_ifname, svi_ifname, tunnel_ifname
from infra.render.errors import RenderError

# Interfaces that carry routing adjacencies point-to-point; those that only announce a subnet.
POINT_TO_POINT_KINDS = frozenset({"p2p", "tunnel", "campus_uplink"})
PASSIVE_KINDS = frozenset({"loopback", "svi", "lan"})
WAN_KINDS = frozenset({"carrier_access", "tunnel"})  # where traffic leaves the site: QoS queuing here

# Where the CPE's LAN lives on a real device (the lab puts its gateway address on `lo`).
LAN_IFNAME = {Platform.CISCO_IOS: "GigabitEthernet0/0/1", Platform.HUAWEI_VRP: "GigabitEthernet0/0/1"}
# Access-switch port plan (the inventory does not yet list ports): uplink + 48 access ports.
UPLINK_IFNAME = {Platform.CISCO_IOS: "GigabitEthernet1/1/1", Platform.HUAWEI_VRP: "XGigabitEthernet0/0/1"}
ACCESS_PORT_PREFIX = {Platform.CISCO_IOS: "GigabitEthernet1/0/", Platform.HUAWEI_VRP: "GigabitEthernet0/0/"}
ACCESS_PORTS = 48
PARKING_VLAN = 999  # unused access ports are shut and parked here (never VLAN 1)

# RFC 4594 classes the province marks and queues (DOMAIN.md: VC AF41, voice EF).
QOS_CLASSES = (
    {"name": "VOICE", "dscp": "ef", "dscp_value": 46, "priority": True, "percent": 10},
    {"name": "VIDEO-CONF", "dscp": "af41", "dscp_value": 34, "priority": False, "percent": 30},
)
# Signalling ports of H.323 (1719-1720) and SIP (5060-5061), used to recognise VC calls.
VC_SIGNALLING_PORTS = (
    {"protocol": "udp", "first": 1719, "last": 1719},
    {"protocol": "tcp", "first": 1720, "last": 1720},
    {"protocol": "tcp", "first": 5060, "last": 5061},
    {"protocol": "udp", "first": 5060, "last": 5060},
)


def _address(addr: IPv4Interface) -> dict[str, Any]:
    return {
        "ip": str(addr.ip),
        "prefixlen": addr.network.prefixlen,
        "netmask": str(addr.netmask),
        "with_prefixlen": addr.with_prefixlen,
        "network": str(addr.network.network_address),
        "wildcard": str(addr.hostmask),
    }


def _network(net: IPv4Network) -> dict[str, Any]:
    return {
        "prefix": str(net),
        "address": str(net.network_address),
        "prefixlen": net.prefixlen,
        "netmask": str(net.netmask),
        "wildcard": str(net.hostmask),
    }


def _route_name(description: str | None) -> str | None:
    """A static route's description as one word (Cisco `name`, Huawei `description`)."""
    if not description:
        return None
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", description.split(";")[0].strip())[:60].strip("-")


def _home_area(areas: list[int]) -> int | None:
    """The area a router's loopback and LAN belong to: the backbone if it touches it."""
    if not areas:
        return None
    return 0 if 0 in areas else min(areas)


@dataclass(frozen=True)
class _ProvinceFacts:
    """What every device's context needs from the whole province, computed once per inventory."""

    vc_endpoints: dict[str, list[str]]  # by site
    vlans_of: dict[str, tuple[Vlan, ...]]


_FACTS: WeakKeyDictionary[Inventory, _ProvinceFacts] = WeakKeyDictionary()


def _province(inv: Inventory) -> _ProvinceFacts:
    facts = _FACTS.get(inv)
    if facts is None:
        vlans_of: dict[str, list[Vlan]] = defaultdict(list)
        for v in inv.vlans:
            for name in dict.fromkeys([v.gateway, *v.access_switches]):
                vlans_of[name].append(v)
        vc: dict[str, list[str]] = defaultdict(list)
        for h in inv.by_role(Role.VC_ENDPOINT):
            # media and signalling come from its LAN address (management is out of band)
            vc[h.site].append(str(h.service_address.ip if h.service_address else h.mgmt_address))
        facts = _ProvinceFacts(
            {site: sorted(addrs, key=_ip_key) for site, addrs in vc.items()},
            {k: tuple(v) for k, v in vlans_of.items()},
        )
        _FACTS[inv] = facts
    return facts


def _ip_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


class SecretGetter:
    """`secret(name)` in templates: a credential's value, or <secret> when rendering masked."""

    def __init__(self, inv: Inventory, host: str, platform: str, masked: bool) -> None:
        self._inv, self._host, self._platform, self._masked = inv, host, platform, masked

    def __call__(self, name: str) -> str:
        if name not in SECRET_FIELDS:
            raise RenderError(
                self._host, f"unknown secret {name!r} (known: {', '.join(SECRET_FIELDS)})", self._platform
            )
        if self._masked:
            return MASK
        ref = getattr(self._inv.credentials, name)
        try:
            return self._inv.secret(ref).reveal()
        except Exception as exc:  # vault password missing, env variable unset, bad ciphertext
            raise RenderError(
                self._host, f"secret credentials.{name} ({ref}): {exc}", self._platform
            ) from None


def _ifname(iface: Interface, host: Host, platform: Platform, inv: Inventory) -> str:
    """The interface's name on the platform being rendered."""
    if platform == Platform.FRR:
        return iface.lab_name
    if iface.kind == "mgmt":
        return mgmt_ifname(platform)
    if iface.kind == "loopback":
        return loopback_ifname(platform)
    if iface.kind == "svi" and iface.vlan is not None:
        return svi_ifname(platform, iface.vlan)
    if iface.kind == "lan":
        return LAN_IFNAME.get(platform, iface.name)
    if iface.kind == "tunnel":
        wan = inv.wan_vpn
        number = 0 if wan is None or wan.hub != host.name else inv.tunnel_numbers.get(iface.link_id or "", 0)
        return tunnel_ifname(platform, number)
    return iface.name


def _interfaces(inv: Inventory, host: Host, platform: Platform) -> list[dict[str, Any]]:
    areas = inv.ospf_areas(host.name)
    home = _home_area(areas)
    merged: dict[str, dict[str, Any]] = {}
    for iface in inv.interfaces[host.name]:
        name = _ifname(iface, host, platform, inv)
        area = iface.ospf_area
        if iface.kind in ("loopback", "lan"):
            area = home
        if iface.kind == "mgmt":
            area = None
        ospf = None
        if area is not None:
            ospf = {
                "area": area,
                "point_to_point": iface.kind in POINT_TO_POINT_KINDS,
                "passive": iface.kind in PASSIVE_KINDS,
                "authenticate": iface.kind not in PASSIVE_KINDS,
                # a passive broadcast interface (SVI) waits one dead interval before it announces its
                # subnet: FRR gets the host's timers on every non-loopback interface to keep that short
                "timers": iface.kind != "loopback",
            }
        tunnel = None
        if iface.kind == "tunnel" and iface.peer_host:
            peer = inv.hosts[iface.peer_host]
            own_lo = host.loopback
            tunnel = {
                "number": inv.tunnel_numbers.get(iface.link_id or "", 0),
                "source": loopback_ifname(platform),
                "source_address": str(own_lo.ip) if own_lo else None,
                "destination": str(peer.loopback.ip) if peer.loopback else None,
                "peer": peer.name,
            }
        entry = merged.get(name)
        if entry is None:
            entry = merged[name] = {
                "name": name,
                "kind": iface.kind,
                "description": iface.description,
                "addresses": [],
                "ospf": ospf,
                "bandwidth_mbps": iface.bandwidth_mbps,
                "wan": iface.kind in WAN_KINDS,
                "external": iface.kind == "carrier_access",
                "vlan": iface.vlan,
                "peer_host": iface.peer_host,
                "tunnel": tunnel,
            }
        elif entry["ospf"] is None:
            entry["ospf"] = ospf
        if iface.address is not None:
            entry["addresses"].append(_address(iface.address))
    out = list(merged.values())
    for entry in out:
        entry["address"] = entry["addresses"][0] if entry["addresses"] else None
    return out


def _bgp(inv: Inventory, host: Host, router_id: str | None, secret: SecretGetter) -> dict[str, Any] | None:
    sessions = inv.bgp_sessions[host.name]
    if host.bgp_asn is None or not sessions:
        return None
    carrier = host.role == Role.CARRIER_PE
    return {
        "asn": host.bgp_asn,
        "router_id": router_id,
        "neighbors": [
            {
                "address": str(s.peer_address),
                "remote_as": s.remote_as,
                "description": s.peer_host,
                "update_source": str(s.local_address),
                "link_id": s.link_id,
            }
            for s in sessions
        ],
        # CPEs and the hub announce their loopback (the WAN-VPN tunnel endpoint); the carrier PE
        # announces what it connects (the access links and every agency's reachability).
        "networks": [] if carrier or host.loopback is None else [_network(host.loopback.network)],
        "redistribute_connected": carrier,
        "connect_retry": 2 if inv.province.lab else None,  # seconds; fast convergence for the lab
    }


def device_context(
    inv: Inventory, host: str, platform: Platform | None = None, *, mask_secrets: bool = True
) -> dict[str, Any]:
    """Every template variable of one network device (secrets only through `secret(name)`)."""
    if host not in inv.hosts:
        raise RenderError(host, "host is not in the inventory")
    h = inv.hosts[host]
    plat = Platform(platform) if platform is not None else inv.stand_in_platform(h)
    if plat not in NETWORK_PLATFORMS:
        raise RenderError(
            host, f"platform {plat.value!r} has no templates (network devices only)", plat.value
        )
    secret = SecretGetter(inv, host, plat.value, mask_secrets)
    site = inv.sites.get(h.site)
    areas = inv.ospf_areas(host)
    interfaces = _interfaces(inv, h, plat)
    router_id = str(h.loopback.ip) if h.loopback else str(h.mgmt_address)
    mgmt_net = inv.pools.management
    vlans = [
        {
            "id": v.id,
            "name": v.name,
            "unit": v.unit,
            "subnet": _network(v.subnet),
            "svi": v.gateway == host,
            "access": host in v.access_switches,
        }
        for v in _province(inv).vlans_of.get(host, ())
    ]
    access_vlans = [v for v in vlans if v["access"]]
    switching = None
    if h.role == Role.ACCESS_SWITCH and plat != Platform.FRR:
        block = ACCESS_PORTS // max(1, len(access_vlans))
        groups = [
            {"vlan": v["id"], "name": v["name"], "first": i * block + 1, "last": (i + 1) * block}
            for i, v in enumerate(access_vlans)
        ]
        used = block * len(access_vlans)
        switching = {
            "uplink": UPLINK_IFNAME.get(plat),
            "port_prefix": ACCESS_PORT_PREFIX.get(plat),
            "access_groups": groups,
            "unused": {"first": used + 1, "last": ACCESS_PORTS} if used < ACCESS_PORTS else None,
            "parking_vlan": PARKING_VLAN,
            "trunk_vlans": [v["id"] for v in access_vlans],
        }
    # VC traffic is marked where it enters the network: by the router of the endpoints' own site
    vc_endpoints = _province(inv).vc_endpoints.get(h.site, [])
    return {
        "hostname": h.name,
        "platform": plat.value,
        "production_platform": h.platform.value,
        "role": h.role.value,
        "site": h.site,
        "site_kind": site.kind.value if site else None,
        "agency": site.agency if site else None,
        "description": h.description,
        "model": h.model,
        "domain": inv.province.domain,
        "lab": inv.province.lab,
        "mgmt": {
            "interface": next((i["name"] for i in interfaces if i["kind"] == "mgmt"), None),
            "address": _address(IPv4Interface(f"{h.mgmt_address}/{mgmt_net.prefixlen}")),
            "network": _network(mgmt_net),
        },
        "loopback": _address(h.loopback) if h.loopback else None,
        "router_id": router_id,
        "interfaces": interfaces,
        "ospf": (
            {
                "router_id": router_id,
                "areas": areas,
                "hello_interval": h.ospf.hello_interval,
                "dead_interval": h.ospf.dead_interval,
                "passive": [i["name"] for i in interfaces if i["ospf"] and i["ospf"]["passive"]],
            }
            if areas
            else None
        ),
        "bgp": _bgp(inv, h, router_id, secret),
        "static_routes": [
            {
                **_network(r.prefix),
                "next_hop": str(r.next_hop) if r.next_hop else None,
                "description": r.description,
                "name": _route_name(r.description),
            }
            for r in h.static_routes
        ],
        "vlans": vlans,
        "switching": switching,
        "baseline": {
            "ntp_servers": [str(a) for a in inv.baseline.ntp_servers],
            "syslog_servers": [str(a) for a in inv.baseline.syslog_servers],
            "aaa_servers": [str(a) for a in inv.baseline.aaa_servers],
            "dns_servers": [str(a) for a in inv.baseline.dns_servers],
            "banner": inv.baseline.banner,
            "idle_timeout_minutes": inv.baseline.idle_timeout_minutes,
            "login_max_failures": inv.baseline.login_max_failures,
            "snmp_location": inv.baseline.snmp_location,
            "snmp_contact": inv.baseline.snmp_contact,
        },
        "credentials": {
            "device_username": inv.credentials.device_username,
            "snmpv3_user": inv.credentials.snmpv3_user,
        },
        "qos": {
            "classes": list(QOS_CLASSES),
            "vc_endpoints": vc_endpoints,
            "signalling_ports": list(VC_SIGNALLING_PORTS),
        },
        "secret": secret,
    }
