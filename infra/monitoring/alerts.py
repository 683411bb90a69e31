"""The alerts, as data: one entry per alert, rendered to Prometheus rule groups by `rules.py`.

Conventions (DOMAIN.md): CamelCase names prefixed `Infra`; `severity` critical (pages),
warning (ticket) or info; every alert has `for:`, a static summary, a templated description
and a runbook (docs/runbooks/<Alert>.md). Inventory labels (host, site, agency, role,
platform, link_id) come from the targets and the inventory info series, not from the rule.
Metric names are the MIB object names, as snmp_exporter and infra-snmp-exporter expose them;
enumerations are state sets (`upsBasicOutputStatus{upsBasicOutputStatus="onBattery"} 1`).

A description says `{for}` where it states how long the condition has held: `rules.py` puts the
rule's actual `for:` there (fast mode included), so the text cannot drift from the rule;
tests/monitoring/test_descriptions.py checks every number the texts state against the rule.

Root cause first (docs/monitoring.md, "Root cause first"): the alerts a cut-off WAN link explains
exclude, in their own expression, the sites that are cut off and the links that are down
(`wan_explained`), and their `for:` is longer than `InfraWanLinkDown`'s; Alertmanager's
inhibition is the second line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    name: str
    group: str
    severity: str
    for_: str
    expr: str
    summary: str
    description: str


LINK_INFO = 'infra_interface_info{link_kind=~"p2p|campus_uplink"}'
JOIN_LINK = "on (host, ifName) group_left (link_id, link_kind, peer_host, peer_site)"
NON_VOLATILE_FS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs"'
SITE_CUT_OFF = "infra:wan_site_reachable == 0"
WAN_LINK_DOWN = "infra:wan_link_up == 0"
# VC: labels an endpoint's series gets from the inventory (infra_vc_endpoint_info, monitoring/vc.py)
VC_JOIN = "on (endpoint) group_left (host, site, agency, role, platform, link_id) infra_vc_endpoint_info"
VC_BREACH = (
    "label_replace({agg} by (endpoint, meeting) ({metric}) {op} on () group_left () "
    'infra_vc_threshold{{threshold="{threshold}"}}, "measure", "{measure}", "", "")'
)


_SYMPTOM_OF: dict[str, str] = {}  # what wan_explained built -> the EXPR it was given


def wan_explained(expr: str) -> str:
    """EXPR without the series of a site that is cut off or of a WAN link that is down: those are
    consequences, which `InfraWanLinkDown` pages for. The series comes back (and its `for:` starts
    again) once the link is seen up."""
    explained = f"({expr}) unless on (site) ({SITE_CUT_OFF}) unless on (link_id) ({WAN_LINK_DOWN})"
    _SYMPTOM_OF[explained] = expr
    return explained


def wan_symptoms() -> dict[str, str]:
    """Alert name -> its symptom expression, for every alert whose whole expression is
    `wan_explained(EXPR)`: EXPR, the condition the rule drops while the site is cut off
    (`SITE_CUT_OFF`, on `site`) or its WAN link is down (`WAN_LINK_DOWN`, on `link_id`). The
    on-call board asks for the series the cut explains, to show them under the link down.
    An alert using wan_explained only inside its expression (a province-wide count) is not one."""
    return {a.name: _SYMPTOM_OF[a.expr] for a in ALERTS if a.expr in _SYMPTOM_OF}


# fmt: off
ALERTS: tuple[Alert, ...] = (
    # ---- devices and the monitoring itself ------------------------------------------------
    Alert(
        "InfraDeviceUnreachable", "infra-devices", "critical", "2m",
        wan_explained('probe_success{job="icmp"} == 0'),
        "A device does not answer ICMP from the monitoring server.",
        "{{ $labels.host }} ({{ $labels.role }}, site {{ $labels.site }}) has not answered ping "
        "on its management address for {for}.",
    ),
    Alert(
        "InfraSnmpScrapeFailing", "infra-devices", "warning", "10m",
        wan_explained(
            'up{job="snmp"} == 0 or max by (host, site, agency, role, platform, module) '
            '(snmp_scrape_error{job="snmp"}) == 1'
        ),
        "SNMP polling of a device fails.",
        "SNMP polling of {{ $labels.host }} (site {{ $labels.site }}) has failed for {for}"
        "{{ if $labels.module }} in module {{ $labels.module }}{{ end }}: its counters and states are blind.",
    ),
    Alert(
        "InfraExporterDown", "infra-devices", "critical", "2m",
        'up{job="exporters"} == 0',
        "A monitoring exporter is down: the devices it polls are unmonitored.",
        "The {{ $labels.exporter }} exporter at {{ $labels.instance }} "
        "has not answered Prometheus for {for}.",
    ),
    # ---- WAN and links --------------------------------------------------------------------
    Alert(
        "InfraWanLinkDown", "infra-wan", "critical", "1m",
        WAN_LINK_DOWN,
        "A WAN-VPN tunnel or carrier access link is down.",
        "{{ $labels.link_kind }} link {{ $labels.link_id }} serving site {{ $labels.site }}"
        "{{ if $labels.agency }} ({{ $labels.agency }}){{ end }} has been down for {for} "
        "at {{ $labels.host }} {{ $labels.ifName }} (far end {{ $labels.peer_host }}, "
        "site {{ $labels.peer_site }}).",
    ),
    Alert(
        "InfraWanLinkFlapping", "infra-wan", "warning", "1m",
        "changes(infra:wan_link_up[15m]) >= 4",
        "A WAN link keeps going down and up.",
        "{{ $labels.link_id }} ({{ $labels.host }} {{ $labels.ifName }}, serving site {{ $labels.site }}) "
        "changed state {{ $value }} times in 15 minutes (4 or more is flapping), for {for}.",
    ),
    Alert(
        "InfraWanEndpointUnreachable", "infra-wan", "critical", "2m",
        wan_explained('probe_success{job="wan"} == 0'),
        "An agency's WAN-VPN endpoint does not answer ICMP across the tunnel.",
        "The VPN endpoint of {{ $labels.host }} (site {{ $labels.site }}, link {{ $labels.link_id }}) "
        "has not answered ping from the hub side for {for}, while the link itself is seen up.",
    ),
    Alert(
        "InfraLinkDown", "infra-wan", "warning", "1m",
        f"(ifOperStatus != 1) * {JOIN_LINK} {LINK_INFO}",
        "A data-centre or campus link is down.",
        "Link {{ $labels.link_id }} ({{ $labels.host }} {{ $labels.ifName }} to {{ $labels.peer_host }}) "
        "has been down for {for}; traffic runs on the redundant path if there is one.",
    ),
    Alert(
        "InfraInterfaceUtilisationHigh", "infra-wan", "warning", "15m",
        "infra:interface_in_utilisation:ratio > 0.8 or infra:interface_out_utilisation:ratio > 0.8",
        "An interface is above 80 % utilisation.",
        "{{ $labels.host }} {{ $labels.ifName }} has carried more than 80 % of its bandwidth for "
        "{for} (now {{ $value | humanizePercentage }}).",
    ),
    Alert(
        "InfraInterfaceErrors", "infra-wan", "warning", "15m",
        "rate(ifInErrors[5m]) + rate(ifOutErrors[5m]) > 1",
        "An interface counts errors.",
        "{{ $labels.host }} {{ $labels.ifName }} has counted more than 1 error per second for {for} "
        "(now {{ $value | humanize }}): check cabling, optics, duplex and the carrier circuit.",
    ),
    Alert(
        "InfraBgpPeerDown", "infra-wan", "critical", "2m",
        wan_explained(
            "(bgpPeerState != 6) * on (host, bgpPeerRemoteAddr) group_left (peer_host, peer_site, link_id) "
            "infra_bgp_peer_info or (infra_bgp_peer_info unless on (host, bgpPeerRemoteAddr) bgpPeerState "
            'and on (host) (snmp_scrape_error{module="bgp4"} == 0))'
        ),
        "A BGP session from the inventory is not established.",
        "BGP from {{ $labels.host }} to {{ $labels.peer_host }} ({{ $labels.bgpPeerRemoteAddr }}, "
        "link {{ $labels.link_id }}) has not been established for {for}.",
    ),
    Alert(
        "InfraOspfNeighbourDown", "infra-wan", "warning", "2m",
        wan_explained(
            "infra_ospf_neighbour_info unless on (host, ospfNbrIpAddr) (ospfNbrState == 8) "
            'and on (host) (snmp_scrape_error{module="ospf"} == 0)'
        ),
        "An OSPF adjacency from the inventory is not full.",
        "OSPF on {{ $labels.host }} has had no full adjacency with {{ $labels.peer_host }} "
        "({{ $labels.ospfNbrIpAddr }}, link {{ $labels.link_id }}) for {for}.",
    ),
    # ---- data-centre facilities -----------------------------------------------------------
    Alert(
        "InfraUpsOnBattery", "infra-facilities", "critical", "1m",
        'upsBasicOutputStatus{upsBasicOutputStatus="onBattery"} == 1 '
        'or upsOutputSource{upsOutputSource="battery"} == 1',
        "A UPS runs on battery: mains power is lost.",
        "UPS {{ $labels.host }} at site {{ $labels.site }} has been on battery for {for}.",
    ),
    Alert(
        "InfraUpsLowRuntime", "infra-facilities", "critical", "1m",
        "upsAdvBatteryRunTimeRemaining / 6000 < 10 or upsEstimatedMinutesRemaining < 10",
        "A UPS has less than 10 minutes of battery runtime.",
        "UPS {{ $labels.host }} at site {{ $labels.site }} has reported less than 10 minutes of runtime "
        "for {for} (now {{ $value | humanize }} minutes).",
    ),
    Alert(
        "InfraUpsOverload", "infra-facilities", "critical", "5m",
        "upsAdvOutputLoad > 90 or upsOutputPercentLoad > 90",
        "A UPS is loaded above 90 % of its capacity.",
        "UPS {{ $labels.host }} at site {{ $labels.site }} has carried more than 90 % load for {for} "
        "(now {{ $value }} %).",
    ),
    Alert(
        "InfraUpsBatteryReplace", "infra-facilities", "warning", "10m",
        'upsAdvBatteryReplaceIndicator{upsAdvBatteryReplaceIndicator="batteryNeedsReplacing"} == 1',
        "A UPS asks for its battery to be replaced.",
        "UPS {{ $labels.host }} at site {{ $labels.site }} has reported for {for} that its battery "
        "needs replacing.",
    ),
    Alert(
        "InfraDcTemperatureOutsideRecommended", "infra-facilities", "warning", "15m",
        "(infra:dc_temperature_celsius < 18 and infra:dc_temperature_celsius >= 15) "
        "or (infra:dc_temperature_celsius > 27 and infra:dc_temperature_celsius <= 32)",
        "DC inlet temperature is outside the ASHRAE recommended 18-27 °C.",
        "Sensor {{ $labels.host }} at site {{ $labels.site }} has read 15-18 or 27-32 °C for {for} "
        "(now {{ $value }} °C).",
    ),
    Alert(
        "InfraDcTemperatureOutsideAllowable", "infra-facilities", "critical", "5m",
        "infra:dc_temperature_celsius < 15 or infra:dc_temperature_celsius > 32",
        "DC inlet temperature is outside the ASHRAE allowable 15-32 °C.",
        "Sensor {{ $labels.host }} at site {{ $labels.site }} has read below 15 or above 32 °C for {for} "
        "(now {{ $value }} °C): equipment is at risk.",
    ),
    Alert(
        "InfraDcHumidityOutsideRecommended", "infra-facilities", "warning", "30m",
        "infra:dc_humidity_percent > 60 and infra:dc_humidity_percent <= 80",
        "DC relative humidity is above the ASHRAE recommended 60 %.",
        "Sensor {{ $labels.host }} at site {{ $labels.site }} has read 60-80 % RH for {for} "
        "(now {{ $value }} % RH).",
    ),
    Alert(
        "InfraDcHumidityOutsideAllowable", "infra-facilities", "critical", "5m",
        "infra:dc_humidity_percent < 20 or infra:dc_humidity_percent > 80",
        "DC relative humidity is outside the ASHRAE allowable 20-80 %.",
        "Sensor {{ $labels.host }} at site {{ $labels.site }} has read below 20 or above 80 % RH for {for} "
        "(now {{ $value }} % RH).",
    ),
    Alert(
        "InfraPduPhaseNearOverload", "infra-facilities", "warning", "5m",
        'rPDULoadStatusLoadState{rPDULoadStatusLoadState="phaseLoadNearOverload"} == 1 '
        'or rPDU2PhaseStatusLoadState{rPDU2PhaseStatusLoadState="nearOverload"} == 1',
        "A PDU phase is near its overload threshold.",
        "PDU {{ $labels.host }} phase {{ or $labels.rPDU2PhaseStatusNumber $labels.rPDULoadStatusIndex }} "
        "at site {{ $labels.site }} "
        "has been above its near-overload threshold for {for}.",
    ),
    Alert(
        "InfraPduPhaseOverload", "infra-facilities", "critical", "1m",
        'rPDULoadStatusLoadState{rPDULoadStatusLoadState="phaseLoadOverload"} == 1 '
        'or rPDU2PhaseStatusLoadState{rPDU2PhaseStatusLoadState="overload"} == 1',
        "A PDU phase is overloaded: its breaker may trip.",
        "PDU {{ $labels.host }} phase {{ or $labels.rPDU2PhaseStatusNumber $labels.rPDULoadStatusIndex }} "
        "at site {{ $labels.site }} "
        "has been overloaded for {for}.",
    ),
    # ---- servers and DC services ----------------------------------------------------------
    Alert(
        "InfraServerDown", "infra-servers", "critical", "2m",
        wan_explained('up{job="node"} == 0'),
        "A server does not answer the node exporter scrape.",
        "Server {{ $labels.host }} at site {{ $labels.site }} has not answered the node exporter "
        "scrape for {for}.",
    ),
    Alert(
        "InfraServerDiskFilling", "infra-servers", "warning", "30m",
        f"predict_linear(node_filesystem_avail_bytes{{{NON_VOLATILE_FS}}}[6h], 24 * 3600) < 0 "
        f"and node_filesystem_avail_bytes{{{NON_VOLATILE_FS}}} / node_filesystem_size_bytes < 0.2",
        "A server file system will be full within 24 hours.",
        "{{ $labels.mountpoint }} on {{ $labels.host }} has had less than 20 % free for {for} and fills "
        "up within 24 hours at the rate of the last 6 hours.",
    ),
    Alert(
        "InfraServerClockDrift", "infra-servers", "warning", "10m",
        "abs(node_timex_offset_seconds) > 0.05 or node_timex_sync_status == 0",
        "A server clock drifts or is not synchronised.",
        "The clock of {{ $labels.host }} has been off by more than 50 ms or not synchronised to NTP "
        "for {for}: logs and certificates go wrong.",
    ),
    # server data, 3-2-1 (role server_backup writes infra_server_backup_* into node exporter's
    # textfile directory; docs/backup.md, "Server data")
    Alert(
        "InfraServerBackupStale", "infra-servers", "warning", "1h",
        "time() - infra_server_backup_last_success_timestamp_seconds > 26 * 3600",
        "A server's data has not reached a backup repository for more than 26 hours.",
        "The last backup of {{ $labels.host }} to the {{ $labels.repository }} restic repository is "
        "{{ $value | humanizeDuration }} old, more than 26 hours, and has been for {for}.",
    ),
    Alert(
        "InfraServerBackupFailed", "infra-servers", "warning", "5m",
        "infra_server_backup_last_run_success == 0",
        "The last backup run of a server's data failed.",
        "The last backup run of {{ $labels.host }} (restic, role server_backup) ended with a failure, "
        "reported for {for}: see `infra history` for its message.",
    ),
    Alert(
        "InfraServiceProbeFailing", "infra-servers", "critical", "2m",
        wan_explained('probe_success{job="services"} == 0'),
        "A DC service fails its probe.",
        "Service {{ $labels.service }} on {{ $labels.host }} ({{ $labels.instance }}) has failed its "
        "probe for {for}: citizens and agencies cannot use it.",
    ),
    # ---- video conference (docs/monitoring.md, "Video conference") ----------------------------
    Alert(
        "InfraVcCallControllerDown", "infra-vc", "critical", "2m",
        'up{job="vc_controller"} == 0',
        "The call controller (Kamailio) does not answer: no endpoint can register or call.",
        "Kamailio on {{ $labels.host }} ({{ $labels.instance }}) has not answered the metrics scrape "
        "for {for}: endpoints cannot register, meetings cannot be joined.",
    ),
    Alert(
        "InfraVcMediaRelayDown", "infra-vc", "critical", "2m",
        'up{job="vc_media_relay"} == 0',
        "The media relay (rtpengine) does not answer: calls set up without media.",
        "rtpengine on {{ $labels.host }} ({{ $labels.instance }}) has not answered the metrics scrape "
        "for {for}: calls through the call controller get no audio or video.",
    ),
    Alert(
        "InfraVcRegistrationProbeFailing", "infra-vc", "warning", "10m",
        'infra_vc_probe_success{job="vc_registration"} == 0',
        "Per-endpoint registration cannot be read from the call controller.",
        "infra-sip-probe has not been able to read ul.dump from {{ $labels.host }} for {for}: "
        "endpoint registration alerts are blind.",
    ),
    Alert(
        "InfraVcEndpointNotRegistered", "infra-vc", "warning", "15m",
        wan_explained("infra:vc_endpoint_registered == 0"),
        "A video-conference endpoint is not registered to the call controller.",
        "{{ $labels.host }} ({{ $labels.aor }}, site {{ $labels.site }}"
        "{{ if $labels.agency }}, {{ $labels.agency }}{{ end }}) has had no live registration at the "
        "call controller for {for}: it cannot join a meeting.",
    ),
    Alert(
        "InfraVcRegistrationsDropping", "infra-vc", "critical", "10m",
        f"(count({wan_explained('infra:vc_endpoint_registered == 0')}) "
        "/ count(infra_vc_endpoint_info) > 0.2) "
        "* on () group_left (host, site, role, platform) infra_vc_call_controller_info",
        "Endpoints are dropping off the call controller province-wide.",
        "{{ $value | humanizePercentage }} of the province's endpoints, more than 20 %, have had no "
        "registration at {{ $labels.host }} for {for}, and not because their WAN links are down: "
        "look at the call controller (certificate, TLS, firewall, restarts), not at the sites.",
    ),
    Alert(
        "InfraVcMediaQualityLow", "infra-vc", "warning", "2m",
        wan_explained(
            "("
            + " or ".join(
                VC_BREACH.format(agg=agg, metric=m, op=op, threshold=t, measure=measure)
                for agg, m, op, t, measure in (
                    ("min", "infra_vc_call_mos", "<", "min_mos", "mos"),
                    ("max", "infra_vc_call_loss_ratio", ">", "max_loss_ratio", "loss_ratio"),
                    ("max", "infra_vc_call_jitter_seconds", ">", "max_jitter_seconds", "jitter_seconds"),
                )
            )
            + f") * {VC_JOIN}"
        ),
        "A readiness test call measured media quality outside the inventory's thresholds.",
        "The last test call of {{ $labels.host }} (site {{ $labels.site }}) measured "
        "{{ $labels.measure }} {{ $value }}, outside vc.readiness in the inventory, "
        "and has for {for}: the meeting will stutter or freeze there.",
    ),
    Alert(
        "InfraVcReadinessFailing", "infra-vc", "critical", "2m",
        wan_explained(
            f"infra:vc_endpoint_not_ready * {VC_JOIN} and on (meeting) infra_vc_meeting_info "
            "and on (meeting) (time() - max by (meeting) (infra_vc_check_timestamp_seconds) < 12 * 3600)"
        ),
        "An endpoint failed the readiness check of a scheduled meeting.",
        "{{ $labels.host }} (site {{ $labels.site }}{{ if $labels.agency }}, {{ $labels.agency }}{{ end }}) "
        "failed `infra vc check` for meeting {{ $labels.meeting }}"
        "{{ if $labels.check }} at its {{ $labels.check }} check{{ end }} in a check of the last 12 hours, "
        "and has for {for}: run `infra vc check --meeting {{ $labels.meeting }} --limit {{ $labels.host }}` "
        "for what to do.",
    ),
    # ---- infra's own runs (from the journal) ----------------------------------------------
    Alert(
        "InfraDeployRunFailed", "infra-runs", "warning", "1m",
        'infra_run_last_success{command="deploy"} == 0',
        "The last infra deploy run failed.",
        "The journal has said for {for} that the last `infra deploy` run ({{ $labels.run_id }}) ended "
        "with failures: see `infra history`.",
    ),
    Alert(
        "InfraBackupRunFailed", "infra-runs", "warning", "1m",
        'infra_run_last_success{command="backup"} == 0',
        "The last configuration backup run failed.",
        "The journal has said for {for} that the last `infra backup` run ({{ $labels.run_id }}) ended "
        "with failures: some devices have no fresh backup.",
    ),
    Alert(
        "InfraBackupStale", "infra-runs", "warning", "1h",
        'time() - infra_run_last_success_timestamp_seconds{command="backup"} > 26 * 3600',
        "No configuration backup has succeeded for more than 26 hours.",
        "The last successful backup is {{ $value | humanizeDuration }} old, more than 26 hours, "
        "and has been for {for}.",
    ),
)
# fmt: on
