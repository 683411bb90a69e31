"""What the operator chooses when rendering monitoring: where the exporters and receivers are."""

from __future__ import annotations

from dataclasses import dataclass

AUTH_PASSWORD_ENV = "INFRA_SNMP_AUTH_PASSWORD"
PRIV_PASSWORD_ENV = "INFRA_SNMP_PRIV_PASSWORD"
COMMUNITY_ENV = "INFRA_SNMP_COMMUNITY"


@dataclass(frozen=True)
class RenderOptions:
    snmp_exporter: str = "127.0.0.1:9116"  # host:port of infra-snmp-exporter
    blackbox_exporter: str = "127.0.0.1:9115"  # host:port of the blackbox exporter in the DC
    wan_prober: str | None = (
        None  # blackbox exporter that probes WAN-VPN endpoints (default: blackbox_exporter)
    )
    alertmanager: str = "127.0.0.1:9093"
    sip_probe: str = "127.0.0.1:9117"  # host:port of infra-sip-probe (VC registrations)
    scrape_interval: str = "30s"
    evaluation_interval: str = "30s"
    shards: int = 1
    webhook_url: str = "http://127.0.0.1:9095/alerts"
    email_to: str | None = None  # default: noc@<province domain>
    email_from: str | None = None  # default: alertmanager@<province domain>
    smarthost: str = "127.0.0.1:25"
    grafana_url: str = "http://127.0.0.1:3000"
    runbook_base: str = "docs/runbooks"  # URL or path prefix of docs/runbooks/<Alert>.md
    # lab tests and demos: `for:` shrinks to 5 s (root causes), 30 s or 60 s (their consequences)
    fast_alerts: bool = False
    node_exporter_port: int = 9100
    shard_host: str = "127.0.0.1"  # where shard i listens: shard_host:(shard_base_port + i)
    shard_base_port: int = 9091
    shard_ports: tuple[int, ...] = ()  # explicit port of each shard (overrides shard_base_port + i)

    @property
    def wan_prober_address(self) -> str:
        return self.wan_prober or self.blackbox_exporter
