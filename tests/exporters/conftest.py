"""Fixtures of the exporter tests (implemented in snmp_testlib): real snmpd agents serving
recordings, our exporter and Debian's Go snmp_exporter, all on 127.0.0.1, all stopped at the end."""

from snmp_testlib import agents, exporter, exporter_config, go_exporter, scrape, switch48

__all__ = ["agents", "exporter", "exporter_config", "go_exporter", "scrape", "switch48"]
