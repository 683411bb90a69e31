"""The template variables of a video-conference codec (platform `cisco_tp`, Cisco RoomOS/CE).

A codec's intent is PARTIAL: only the xConfiguration paths the province manages (SIP
registration, media encryption, call handling, management services, time, logging, QoS). Every
other path of the codec is left as it is. The text form (templates/cisco_tp/) is one setting a
line, `xConfiguration <path>: <value>`, exactly as RoomOS prints it minus the leading `*c `:
strings double-quoted, enums and numbers bare.

Deliberately not managed:
- `Network 1 IPv4 ...` (the codec's address, mask, gateway): the codec has one interface and the
  session deploy talks through runs over it. A wrong value, or a rollback re-setting an old one,
  cuts that session, and RoomOS has no revert timer to bring the address back. The address is
  set when the codec is installed (and the lab gives it to the stand-in), as a router's
  management address is.
- Secrets: no path holding a secret is rendered (`SIP Authentication Password`, `NetworkServices
  NTP Server n Key`, `SNMP CommunityName`, users' passphrases). The call controller admits
  codecs by their agency LAN, so SIP registration needs no digest password; SNMP is off.
"""

from __future__ import annotations

import re
from typing import Any

from infra.inventory import Host, Inventory, Platform
from infra.render.errors import RenderError

CODEC_PLATFORMS = frozenset({Platform.CISCO_TP})

# RoomOS/CE value spaces (xAPI reference): how each inventory transport is spelled.
TRANSPORTS = {"udp": "UDP", "tcp": "TCP", "tls": "Tls"}
SIP_PROXY_SLOTS = 4  # SIP Proxy 1..4 Address
NTP_SLOTS = 3  # NetworkServices NTP Server 1..3 Address
SYSLOG_PORT = 514  # the province's log servers listen on UDP 514 (Logging External Protocol: Syslog)
MAX_SESSION_MINUTES = 15  # DOMAIN.md: admin session timeout <= 15 min on VC endpoints
# RFC 4594 (DOMAIN.md): interactive video AF41, voice EF, call signalling CS3
DSCP = {"audio": 46, "video": 34, "signalling": 24}

_BAD_STRING = re.compile(r'["\\\x00-\x1f\x7f]')


def is_codec(host: Host) -> bool:
    return host.platform in CODEC_PLATFORMS


def sip_proxy(inv: Inventory) -> str | None:
    """`address:port` of the call controller as `SIP Proxy 1 Address` holds it: its service
    address with the port of the province's transport (`vc.sips_port` for TLS, else `sip_port`)."""
    address = inv.registrar_address
    if inv.vc is None or address is None:
        return None
    return f"{address}:{inv.vc.registrar_port}"


def codec_uri(sip_uri: str) -> str:
    """The inventory's `sip:user@domain` as RoomOS's `SIP URI` holds it: `user@domain`."""
    return sip_uri.removeprefix("sips:").removeprefix("sip:")


def _string(host: str, field: str, value: str) -> str:
    """A value that goes between double quotes: no quote, backslash or control character."""
    if _BAD_STRING.search(value):
        raise RenderError(
            host, f"{field} {value!r} holds a quote, backslash or control character", "cisco_tp"
        )
    return value


def codec_context(inv: Inventory, host: str) -> dict[str, Any]:
    """Every template variable of one codec (no secret: none is rendered, see the module doc)."""
    if host not in inv.hosts:
        raise RenderError(host, "host is not in the inventory")
    h = inv.hosts[host]
    plat = Platform.CISCO_TP.value
    if not is_codec(h):
        raise RenderError(host, f"not a codec (platform {h.platform.value})", plat)
    vc = inv.vc
    if vc is None:
        raise RenderError(host, "the inventory has no `vc` section (group_vars/all/vc.yml)", plat)
    proxy = sip_proxy(inv)
    if proxy is None:
        raise RenderError(
            host, f"vc.call_controller {vc.call_controller!r} has no service_address to register to", plat
        )
    if not h.sip_uri:
        raise RenderError(host, "no sip_uri (host_vars)", plat)
    site = inv.sites.get(h.site)
    agency = site.agency if site and site.agency else h.name
    baseline = inv.baseline
    ntp = [str(a) for a in baseline.ntp_servers][:NTP_SLOTS]
    return {
        "hostname": _string(host, "host name", h.name),
        "platform": plat,
        "role": h.role.value,
        "site": h.site,
        "agency": agency,
        "model": h.model,
        "sip": {
            "uri": _string(host, "sip_uri", codec_uri(h.sip_uri)),
            "display_name": _string(host, "agency", agency),
            # the call controller, then the other slots emptied: no stale proxy stays behind
            "proxies": [proxy] + [""] * (SIP_PROXY_SLOTS - 1),
            "transport": TRANSPORTS[vc.transport],
            "h323": vc.h323,
        },
        "ntp_servers": ntp + [""] * (NTP_SLOTS - len(ntp)),
        "syslog": {"server": str(baseline.syslog_servers[0]), "port": SYSLOG_PORT},
        "session": {
            "inactivity_timeout": min(baseline.idle_timeout_minutes, MAX_SESSION_MINUTES),
            "max_failed_logins": baseline.login_max_failures,
        },
        "dscp": dict(DSCP),
    }
