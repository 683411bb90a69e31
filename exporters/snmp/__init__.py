"""infra's SNMP exporter: prometheus/snmp_exporter's HTTP contract and config format, in Python."""
