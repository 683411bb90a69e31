"""Monitoring as code: Prometheus, Alertmanager, rules, dashboards and exporter config from the inventory."""

from infra.monitoring.options import RenderOptions
from infra.monitoring.render import render_monitoring, write_monitoring

__all__ = ["RenderOptions", "render_monitoring", "write_monitoring"]
