"""Which SNMP exporter modules and auth each device is scraped with (role x platform).

| role / platform                           | modules                                                |
|-------------------------------------------|--------------------------------------------------------|
| router or L3 switch, any platform         | if_mib, system, + bgp4 (has BGP sessions), + ospf (runs OSPF) |
| ... on cisco_ios                          | + cisco_cpu, cisco_envmon                              |
| ... on huawei_vrp                         | + huawei_entity                                        |
| access switch                             | if_mib, system (+ vendor module as above)              |
| VC endpoint                               | system, if_mib                                         |
| UPS                                       | apc_ups (APC PowerNet-MIB) or ups_mib (RFC 1628)       |
| PDU                                       | pdu (APC rack PDU)                                     |
| environment sensor                        | akcp_sensorprobe                                       |
| server                                    | none: node exporter                                    |

In a lab province the platform is the stand-in (FRR plays every router): vendor modules are
left out because the device that answers is FRR's net-snmp agent.
"""

from __future__ import annotations

from infra.inventory import Host, Inventory, Platform, Role

SNMP_V3_AUTH = "infra_v3"

VENDOR_MODULES: dict[Platform, tuple[str, ...]] = {
    Platform.CISCO_IOS: ("cisco_cpu", "cisco_envmon"),
    Platform.HUAWEI_VRP: ("huawei_entity",),
}


def _is_apc(host: Host) -> bool:
    hint = f"{host.model or ''} {host.snmp_recording or ''}".lower()
    return "apc" in hint


def snmp_modules(inv: Inventory, host: Host) -> tuple[str, ...]:
    """The exporter modules to scrape for `host` (empty: not scraped over SNMP)."""
    platform = inv.stand_in_platform(host)
    if host.role == Role.SERVER:
        return ()
    if host.role == Role.UPS:
        return ("apc_ups",) if _is_apc(host) else ("ups_mib",)
    if host.role == Role.PDU:
        return ("pdu",)
    if host.role == Role.ENV_SENSOR:
        return ("akcp_sensorprobe",)
    if host.role == Role.VC_ENDPOINT:
        # RoomOS offers SNMP v1/v2c only, so the baseline turns it off (TP-SNMP): codecs are
        # watched by ICMP, their SIP registration at the call controller and `infra vc check`.
        return ()
    modules = ["if_mib", "system"]
    modules += VENDOR_MODULES.get(platform, ())
    if host.is_router:
        if inv.bgp_sessions.get(host.name):
            modules.append("bgp4")
        if ospf_neighbours(inv, host.name):
            modules.append("ospf")
    return tuple(modules)


def snmp_auth(host: Host) -> str:
    """The exporter auth name: SNMPv3 authPriv, or v2c when the inventory gives a community."""
    return "infra_v2c" if host.snmp_community else SNMP_V3_AUTH


def ospf_neighbours(inv: Inventory, host: str) -> list[tuple[str, str, str, str]]:
    """(ifName-independent) OSPF neighbours: (peer address, peer host, link_id, interface kind)."""
    out = []
    for i in inv.interfaces[host]:
        if (
            i.ospf_area is not None
            and i.kind in ("p2p", "tunnel", "campus_uplink")
            and i.peer_host
            and i.peer_address
            and i.peer_host in inv.hosts
            and inv.hosts[i.peer_host].is_router
        ):
            out.append((str(i.peer_address), i.peer_host, i.link_id or "", i.kind))
    return out
