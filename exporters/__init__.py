"""Monitoring runtime of infra: exporters that Prometheus scrapes. Never imports `infra`."""
