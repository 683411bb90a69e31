"""The video-conference system in monitoring: scrape targets, inventory info series and the
registration probe's configuration, all from the inventory (`vc` and the `vc_endpoints` group).

- `vc_controller`: Kamailio's own `/metrics` (xhttp_prom) on the call controller;
- `vc_media_relay`: rtpengine's `/metrics` (`listen-http`) on the media relay;
- `vc_registration`: infra-sip-probe (exporters/sip), which asks the call controller's
  JSON-RPC `ul.dump` at each scrape and says, per endpoint, whether its AOR is registered;
- the results of `infra vc check` arrive through node exporter's textfile collector (job `node`).

The alerts (alerts.py, group infra-vc) join every per-endpoint series on `endpoint` with
`infra_vc_endpoint_info`, which carries the endpoint's `host`, `site`, `agency` and the `link_id` of
its site's WAN-VPN tunnel: the labels the WAN root-cause logic and Alertmanager's topology
inhibition already work with.
"""

from __future__ import annotations

from typing import Any

from infra.inventory import Host, Inventory
from infra.monitoring.labels import host_labels

# What the vc_controller role serves (playbooks/roles/vc_controller, defaults): Kamailio's HTTP
# (xhttp: /metrics and the read-only JSON-RPC /RPC) and rtpengine's listen-http, on the server's
# management address, like node exporter: they are management functions, kept off the service
# VLAN where every codec registers.
KAMAILIO_HTTP_PORT = 8088
KAMAILIO_METRICS_PATH = "/metrics"
KAMAILIO_RPC_PATH = "/RPC"
RTPENGINE_HTTP_PORT = 9901
SIP_PROBE_FILE = "sip-probe.yml"

Rule = dict[str, Any]
TargetGroup = dict[str, Any]


def _address(h: Host) -> str:
    """Where monitoring reaches the VC servers' HTTP: the management address (in the lab also
    the only one the monitoring host reaches)."""
    return str(h.mgmt_address)


def media_relay(inv: Inventory) -> Host | None:
    vc = inv.vc
    return inv.hosts.get(vc.media_relay) if vc is not None and vc.media_relay else None


def vc_targets(inv: Inventory) -> dict[str, list[TargetGroup]]:
    """targets/vc-*.json; empty when the inventory has no VC system."""
    controller, relay = inv.call_controller, media_relay(inv)
    if inv.vc is None or controller is None:
        return {}
    out = {
        "vc-controller.json": [
            {
                "targets": [f"{_address(controller)}:{KAMAILIO_HTTP_PORT}"],
                "labels": host_labels(inv, controller) | {"service": "kamailio"},
            }
        ],
        # the probe is not multi-target: this target only names what it probes (for the labels)
        "vc-registration.json": [
            {"targets": [controller.name], "labels": host_labels(inv, controller) | {"service": "kamailio"}}
        ],
    }
    if relay is not None:
        out["vc-media-relay.json"] = [
            {
                "targets": [f"{_address(relay)}:{RTPENGINE_HTTP_PORT}"],
                "labels": host_labels(inv, relay) | {"service": "rtpengine"},
            }
        ]
    return out


def sip_probe_config(inv: Inventory) -> dict[str, Any] | None:
    """sip-probe.yml for infra-sip-probe: the call controller's JSON-RPC URL and every endpoint's AOR."""
    controller = inv.call_controller
    if inv.vc is None or controller is None:
        return None
    return {
        "call_controller": controller.name,
        "rpc_url": f"http://{_address(controller)}:{KAMAILIO_HTTP_PORT}{KAMAILIO_RPC_PATH}",
        "timeout_s": 5,
        "endpoints": [{"endpoint": h.name, "aor": h.sip_uri} for h in inv.vc_endpoints if h.sip_uri],
    }


def _info(record: str, labels: dict[str, str], value: str = "1") -> Rule:
    return {"record": record, "expr": f"vector({value})", "labels": {k: v for k, v in labels.items() if v}}


def vc_info_rules(inv: Inventory) -> list[Rule]:
    """infra_vc_endpoint_info, infra_vc_call_controller_info, infra_vc_meeting_info and the
    readiness thresholds (infra_vc_threshold{threshold}, in base units: ratio, seconds)."""
    vc, controller = inv.vc, inv.call_controller
    if vc is None:
        return []
    rules: list[Rule] = []
    for h in inv.vc_endpoints:
        if not h.sip_uri:
            continue
        labels = host_labels(inv, h) | {
            "endpoint": h.name,
            "aor": h.sip_uri,
            "link_id": inv.wan_link_of(h.site) or "",
        }
        rules.append(_info("infra_vc_endpoint_info", labels))
    if controller is not None:
        rules.append(_info("infra_vc_call_controller_info", host_labels(inv, controller)))
    for m in vc.meetings:
        rules.append(_info("infra_vc_meeting_info", {"meeting": m.name}))
    r = vc.readiness
    for name, value in (
        ("min_mos", r.min_mos),
        ("max_loss_ratio", r.max_loss_pct / 100),
        ("max_jitter_seconds", r.max_jitter_ms / 1000),
        ("call_setup_seconds", r.call_setup_s),
    ):
        rules.append(_info("infra_vc_threshold", {"threshold": name}, f"{value:g}"))
    return rules


# Per-endpoint registration with the endpoint's inventory labels (the probe's series carry only
# endpoint and aor; `max by` also folds a probe scraped by several Prometheus replicas).
VC_RECORDING_RULES: tuple[tuple[str, str], ...] = (
    (
        "infra:vc_endpoint_registered",
        "max by (endpoint) (infra_vc_registered) * on (endpoint) "
        "group_left (host, site, agency, role, platform, aor, link_id) infra_vc_endpoint_info",
    ),
    # Endpoints the last `infra vc check` found not ready, per meeting, with the first failing
    # check when the check says which (infra_vc_check_failed, infra/vc/metrics.py).
    (
        "infra:vc_endpoint_not_ready",
        "(max by (endpoint, meeting) (infra_vc_ready) == 0) * on (endpoint, meeting) group_left (check) "
        "max by (endpoint, meeting, check) (infra_vc_check_failed == 1) "
        "or (max by (endpoint, meeting) (infra_vc_ready) == 0) "
        "unless on (endpoint, meeting) (infra_vc_check_failed == 1)",
    ),
    # The relay's mean MOS over the calls of the last 15 minutes (dashboards).
    ("infra:vc_relay_mos:avg15m", "rate(rtpengine_mos_total[15m]) / rate(rtpengine_mos_samples_total[15m])"),
)
