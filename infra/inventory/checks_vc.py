"""Checks of the video-conference system: the call controller exists, every endpoint can be
called (one SIP URI each), reach the call controller (a LAN behind a router with a WAN path)
and be logged into (codec credentials)."""

from __future__ import annotations

from infra.inventory.errors import Add
from infra.inventory.inventory import Inventory
from infra.inventory.models import Platform, Role


def check_vc_system(inv: Inventory, add: Add) -> None:
    """The call controller and media relay are servers of the inventory; endpoints need a `vc:`."""
    if inv.vc is not None:
        _check_controller(inv, add)
    elif inv.vc_endpoints:
        add("VC endpoints are defined but there is no `vc:` (call controller, domain)", None, "vc")


def check_codec_credentials(inv: Inventory, add: Add) -> None:
    """The credentials cover every device infra logs into: codecs need codec_password."""
    endpoints = inv.vc_endpoints
    if any(h.platform == Platform.CISCO_TP for h in endpoints) and inv.credentials.codec_password is None:
        codec = next(h.name for h in endpoints if h.platform == Platform.CISCO_TP)
        add(
            f"codecs (e.g. {codec}) need credentials.codec_password to be logged into",
            None,
            "credentials.codec_password",
            "credentials",
        )


def check_vc_endpoints(inv: Inventory, add: Add) -> None:
    """Every endpoint can be called (one SIP URI in the domain) and reach the call controller."""
    endpoints = inv.vc_endpoints
    uris: dict[str, str] = {}
    carried = _wan_carried(inv)
    for h in endpoints:
        if h.sip_uri is None:
            add("a VC endpoint needs a sip_uri", h.name, "sip_uri")
        elif h.sip_uri.lower() in uris:
            add(f"SIP URI {h.sip_uri} is also the URI of {uris[h.sip_uri.lower()]}", h.name, "sip_uri")
        else:
            uris[h.sip_uri.lower()] = h.name
            domain = h.sip_uri.split("@", 1)[1]
            if inv.vc is not None and domain != inv.vc.domain:
                add(f"SIP URI {h.sip_uri} is outside the SIP domain {inv.vc.domain}", h.name, "sip_uri")
        if h.service_address is None:
            add("a VC endpoint needs service_address (its address on the LAN)", h.name, "service_address")
            continue
        router = inv.lan_router(h)
        if router is None:
            add(
                f"no router at site {h.site} has a LAN holding {h.service_address.ip}: "
                "the endpoint has no way to the call controller",
                h.name,
                "service_address",
            )
        elif router.name not in carried:
            add(
                f"{router.name} (the LAN router of site {h.site}) has no WAN path (no WAN-VPN tunnel, "
                "no carrier circuit) to the call controller",
                h.name,
                "site",
            )


def _check_controller(inv: Inventory, add: Add) -> None:
    assert inv.vc is not None
    for fld in ("call_controller", "media_relay"):
        name = getattr(inv.vc, fld)
        host = inv.hosts.get(name)
        if host is None:
            add(f"vc.{fld} {name!r} is not a host of the inventory", None, f"vc.{fld}", "vc")
        elif host.role != Role.SERVER or host.service_address is None:
            add(f"vc.{fld} {name!r} must be a server with a service_address", None, f"vc.{fld}", "vc")


def _wan_carried(inv: Inventory) -> set[str]:
    """Routers with a way out of their site: a WAN-VPN spoke or a carrier circuit."""
    out = {t.spoke for t in inv.wan_vpn.tunnels} if inv.wan_vpn else set()
    for link in inv.links:
        if link.kind == "carrier_access":
            out.update((link.a.host, link.b.host))
    return out
