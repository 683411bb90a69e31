"""prometheus.yml: one configuration, or N hashmod shards plus a federating global view.

Every job reads file_sd target files written beside it (targets/*.json), so adding a device to
the inventory and re-rendering never needs a Prometheus restart (file_sd re-reads on change).
Sharding hashes the inventory `host` label, so all series of one device (SNMP, ICMP, node,
services) land on the same shard and the per-device joins of the rules keep working there.
"""

from __future__ import annotations

import re
from typing import Any

from infra.monitoring.options import RenderOptions

RULE_FILES = ["rules/*.yml"]
FEDERATED_MATCHERS = [
    '{__name__=~"infra:.+"}',
    '{__name__=~"infra_.+_info"}',
    '{__name__="ALERTS"}',
    '{__name__="up"}',
    '{__name__="probe_success"}',
    # the on-call board's power panel: a few series per UPS and PDU
    '{__name__=~"ups.+|rPDU.+"}',
]

Config = dict[str, Any]
DURATION = re.compile(r"(\d+)([sm])")


def _shard_filter(shards: int, index: int | None) -> list[Config]:
    if index is None or shards <= 1:
        return []
    return [
        {"source_labels": ["host"], "modulus": shards, "target_label": "__tmp_shard", "action": "hashmod"},
        {"source_labels": ["__tmp_shard"], "regex": str(index), "action": "keep"},
    ]


def _via_exporter(exporter: str) -> list[Config]:
    """Multi-target pattern: the device becomes ?target=, the scrape goes to the exporter."""
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["host"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


def _file_sd(*names: str) -> list[Config]:
    return [{"files": [f"targets/{n}" for n in names], "refresh_interval": "1m"}]


def _vc_jobs(opts: RenderOptions, keep: list[Config]) -> list[Config]:
    """Kamailio's and rtpengine's own /metrics, and infra-sip-probe's /probe (monitoring/vc.py)."""
    instance = {"source_labels": ["host"], "target_label": "instance"}
    return [
        {
            "job_name": "vc_controller",
            "scrape_interval": opts.scrape_interval,
            "file_sd_configs": _file_sd("vc-controller.json"),
            "relabel_configs": [*keep, instance],
        },
        {
            "job_name": "vc_media_relay",
            "scrape_interval": opts.scrape_interval,
            "file_sd_configs": _file_sd("vc-media-relay.json"),
            "relabel_configs": [*keep, instance],
        },
        {
            "job_name": "vc_registration",
            "scrape_interval": opts.scrape_interval,
            "metrics_path": "/probe",
            "file_sd_configs": _file_sd("vc-registration.json"),
            "relabel_configs": [
                *keep,
                instance,
                {"target_label": "__address__", "replacement": opts.sip_probe},
            ],
        },
    ]


def scrape_configs(
    opts: RenderOptions, snmp_files: list[str], shard: int | None, vc: bool = False
) -> list[Config]:
    keep = _shard_filter(opts.shards, shard)
    jobs: list[Config] = [
        {
            "job_name": "snmp",
            "scrape_interval": opts.scrape_interval,
            "scrape_timeout": _timeout(opts.scrape_interval),
            "metrics_path": "/snmp",
            "file_sd_configs": _file_sd(*snmp_files),
            "relabel_configs": [*keep, *_via_exporter(opts.snmp_exporter)],
        },
        {
            "job_name": "icmp",
            "scrape_interval": opts.scrape_interval,
            "metrics_path": "/probe",
            "params": {"module": ["icmp"]},
            "file_sd_configs": _file_sd("icmp.json"),
            "relabel_configs": keep + _via_exporter(opts.blackbox_exporter),
        },
        {
            "job_name": "wan",
            "scrape_interval": opts.scrape_interval,
            "metrics_path": "/probe",
            "params": {"module": ["icmp"]},
            "file_sd_configs": _file_sd("wan.json"),
            "relabel_configs": [
                *keep,
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["link_id"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": opts.wan_prober_address},
            ],
        },
        {
            "job_name": "services",
            "scrape_interval": opts.scrape_interval,
            "metrics_path": "/probe",
            "file_sd_configs": _file_sd("services.json"),
            "relabel_configs": [
                *keep,
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": opts.blackbox_exporter},
            ],
        },
        {
            "job_name": "node",
            "scrape_interval": opts.scrape_interval,
            "file_sd_configs": _file_sd("node.json"),
            "relabel_configs": [*keep, {"source_labels": ["host"], "target_label": "instance"}],
        },
        {
            # no `host` label: all exporters hash alike and land on one shard (scraped once)
            "job_name": "exporters",
            "scrape_interval": opts.scrape_interval,
            **({"relabel_configs": keep} if keep else {}),
            "static_configs": [
                {"targets": [opts.snmp_exporter], "labels": {"exporter": "snmp"}},
                {"targets": [opts.blackbox_exporter], "labels": {"exporter": "blackbox"}},
            ]
            + (
                [{"targets": [opts.wan_prober_address], "labels": {"exporter": "wan_prober"}}]
                if opts.wan_prober_address != opts.blackbox_exporter
                else []
            )
            + ([{"targets": [opts.sip_probe], "labels": {"exporter": "sip_probe"}}] if vc else []),
        },
    ]
    return jobs + (_vc_jobs(opts, keep) if vc else [])


def _timeout(interval: str) -> str:
    """scrape_timeout must not exceed the interval; SNMP walks get 80 % of it."""
    m = DURATION.fullmatch(interval)
    if m is None:
        raise ValueError(f"scrape interval {interval!r}: write it like 30s or 1m")
    seconds = int(m[1]) * {"s": 1, "m": 60}[m[2]]
    return f"{max(1, int(seconds * 0.8))}s"


def prometheus_config(
    opts: RenderOptions, snmp_files: list[str], province: str, shard: int | None = None, vc: bool = False
) -> Config:
    external: dict[str, str] = {"province": province}
    if shard is not None:
        external["shard"] = str(shard)
    return {
        "global": {
            "scrape_interval": opts.scrape_interval,
            "evaluation_interval": opts.evaluation_interval,
            "external_labels": external,
        },
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [opts.alertmanager]}]}]},
        "rule_files": RULE_FILES,
        "scrape_configs": scrape_configs(opts, snmp_files, shard, vc),
    }


def shard_address(opts: RenderOptions, index: int) -> str:
    port = opts.shard_ports[index] if opts.shard_ports else opts.shard_base_port + index
    return f"{opts.shard_host}:{port}"


def global_config(opts: RenderOptions, province: str) -> Config:
    """The global view over all shards: federates recording rules, info series, up and ALERTS.

    It evaluates no alerts (the shards do, next to the raw data, and send them to the same
    Alertmanager); it answers dashboards and province-wide queries.
    """
    return {
        "global": {
            "scrape_interval": opts.scrape_interval,
            "evaluation_interval": opts.evaluation_interval,
            "external_labels": {"province": province, "shard": "global"},
        },
        "scrape_configs": [
            {
                "job_name": "federate",
                "honor_labels": True,
                "metrics_path": "/federate",
                "params": {"match[]": FEDERATED_MATCHERS},
                "static_configs": [
                    {
                        "targets": [shard_address(opts, i) for i in range(opts.shards)],
                    }
                ],
            }
        ],
    }
