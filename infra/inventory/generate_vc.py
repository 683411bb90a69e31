"""The video-conference part of a generated province: endpoints on the agencies' LANs and the
call controller's settings (the same shape as the example inventory's group_vars/all/vc.yml)."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import Any

DOMAIN = "vc.lamvien.gov.vn"
VC_SYSTEM: dict[str, Any] = {
    "domain": DOMAIN,
    "call_controller": "srv-vc-1",
    "media_relay": "srv-vc-1",
    "test_room": "testroom",
    "transport": "tls",
    "readiness": {"call_setup_s": 5, "sample_s": 6, "max_loss_pct": 1.0, "max_jitter_ms": 30, "min_mos": 3.6},
    "meetings": [{"name": "giao-ban-ubnd", "endpoints": "vc_endpoints", "bitrate_kbps": 1920}],
}
MODELS = ("Cisco Webex Room Kit", "Cisco Webex Room Kit Mini", "Cisco Webex Room Bar")
FIRST_HOST = 10  # an endpoint's address on its LAN: .10, .11, ... (the CPE holds .1)


def vc_endpoints(count: int, lan_of: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`count` endpoints over the agency sites, one per site first, then a second per site..."""
    sites = list(lan_of)
    for i in range(count if sites else 0):
        site, nth = sites[i % len(sites)], i // len(sites)
        name = site if nth == 0 else f"{site}-{nth + 1}"
        lan = IPv4Network(lan_of[site])
        yield (
            f"vc-{name}",
            {
                "site": site,
                "model": MODELS[i % len(MODELS)],
                "sip_uri": f"sip:{name}@{DOMAIN}",
                "service_address": f"{lan.network_address + FIRST_HOST + nth}/{lan.prefixlen}",
            },
        )
