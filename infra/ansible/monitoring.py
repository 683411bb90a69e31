"""What the monitoring server role needs from the inventory, rendered for the run itself.

The monitoring_server role copies a generated configuration (prometheus.yml, rules, targets,
alertmanager.yml, blackbox.yml, snmp-exporter.yml). A deploy renders it from the same inventory,
into the run's private_data_dir (`<dir>/<monitoring host>/`, one per monitoring server, each
pointing at its own daemons), and hands the role the base directory as the extra var
`monitoring_server_config_base`: no prior `infra monitoring render` step, nothing left behind.
The rendered files hold no secret (the exporter's passphrases are `${ENV}` references).
"""

from __future__ import annotations

from pathlib import Path

from infra.inventory import Host, Inventory
from infra.monitoring.options import RenderOptions
from infra.monitoring.render import render_monitoring, write_monitoring

MONITOR_GROUP = "servers_monitor"
CONFIG_BASE_VAR = "monitoring_server_config_base"
CONFIG_DIR_VAR = "monitoring_server_config_dir"
# The ports the monitoring_server role runs its daemons on (roles/monitoring_server/defaults).
SNMP_EXPORTER_PORT = 9116
BLACKBOX_PORT = 9115
ALERTMANAGER_PORT = 9093


def monitoring_hosts(inv: Inventory, limit: list[str]) -> list[Host]:
    return [inv.hosts[n] for n in limit if n in inv.hosts and MONITOR_GROUP in inv.hosts[n].groups]


def render_options(host: Host) -> RenderOptions:
    """`infra monitoring render`'s defaults, with the exporters and Alertmanager on this host."""
    address = host.mgmt_address
    return RenderOptions(
        snmp_exporter=f"{address}:{SNMP_EXPORTER_PORT}",
        blackbox_exporter=f"{address}:{BLACKBOX_PORT}",
        alertmanager=f"{address}:{ALERTMANAGER_PORT}",
    )


def render_for_run(
    inv: Inventory, limit: list[str], base: Path, given: dict[str, object]
) -> dict[str, object]:
    """Render each limited monitoring server's configuration under `base`; the extra vars that
    point the role at it. Nothing when no monitoring server is limited or the caller chose a
    configuration directory itself (`monitoring_server_config_dir`)."""
    hosts = monitoring_hosts(inv, limit)
    if not hosts or CONFIG_DIR_VAR in given:
        return {}
    for host in hosts:
        write_monitoring(render_monitoring(inv, render_options(host)), base / host.name)
    return {CONFIG_BASE_VAR: str(base)}
