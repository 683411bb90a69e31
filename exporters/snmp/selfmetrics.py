"""The exporter's own metrics on /metrics (prometheus-client).

With several worker processes the values live in prometheus-client's multiprocess
files (one directory per exporter run) so /metrics shows the sum over workers,
whichever worker answers.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

ENV_DIR = "PROMETHEUS_MULTIPROC_DIR"


class SelfMetrics:
    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        if multiprocess_dir:
            os.environ[ENV_DIR] = multiprocess_dir
            values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
        reg = CollectorRegistry(auto_describe=True)
        self._own = reg

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(name, doc, labels, registry=reg)

        def gauge(name: str, doc: str, mode: str) -> Gauge:
            """mode: how the workers' values add up in multiprocess mode (livesum, mostrecent)."""
            how: dict[str, Any] = {"multiprocess_mode": mode} if multiprocess_dir else {}
            return Gauge(name, doc, registry=reg, **how)

        self.collection_duration = Histogram(
            "snmp_collection_duration_seconds",
            "Duration of collections by the SNMP exporter",
            ["module"],
            registry=reg,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.scrapes = counter(
            "snmp_exporter_scrapes", "Module scrapes by result (success or error)", ("module", "result")
        )
        self.request_errors = counter("snmp_request_errors", "Errors in requests to the SNMP exporter")
        self.malformed = counter(
            "snmp_exporter_malformed_replies", "SNMP replies that could not be decoded (dropped)"
        )
        self.unmatched = counter(
            "snmp_exporter_unmatched_replies", "SNMP replies for no waiting request (late or foreign)"
        )
        self.retries = counter("snmp_exporter_request_retries", "SNMP requests sent again after a timeout")
        self.auth_failures = counter(
            "snmp_exporter_v3_auth_failures", "SNMPv3 replies failing authentication or reporting errors"
        )
        self.refused = counter(
            "snmp_exporter_refused_targets",
            "Scrapes refused (HTTP 403): the target is not in the auth's allowed_targets",
            ("auth",),
        )
        self.in_flight = gauge("snmp_exporter_scrapes_in_flight", "Scrapes being served now", "livesum")
        self.reload_ok = gauge(
            "snmp_exporter_config_last_reload_successful",
            "Whether the last configuration reload attempt was successful.",
            "mostrecent",
        )
        self.reload_time = gauge(
            "snmp_exporter_config_last_reload_success_timestamp_seconds",
            "Timestamp of the last successful configuration reload.",
            "mostrecent",
        )
        if multiprocess_dir:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        else:
            self.registry = reg
            ProcessCollector(registry=reg)

    def render(self) -> bytes:
        return generate_latest(self.registry)
