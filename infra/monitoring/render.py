"""Render the whole monitoring configuration into a directory, from the inventory.

OUT/prometheus.yml                 (or prometheus-shard-<i>.yml + prometheus-global.yml)
OUT/targets/*.json                 file_sd target groups with inventory labels
OUT/rules/{inventory,recording,alerts}.yml
OUT/alertmanager.yml
OUT/snmp-exporter.yml              auths for infra-snmp-exporter (secrets as ${ENV})
OUT/blackbox.yml
OUT/sip-probe.yml                  infra-sip-probe: the call controller's JSON-RPC URL and every AOR (VC)
OUT/dashboards/*.json              Grafana
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.inventory import Inventory
from infra.monitoring.alertmanager import alertmanager_config
from infra.monitoring.dashboards import dashboards
from infra.monitoring.exporter_config import blackbox_config, snmp_exporter_auths
from infra.monitoring.options import RenderOptions
from infra.monitoring.prometheus import global_config, prometheus_config
from infra.monitoring.rules import rule_files
from infra.monitoring.targets import build_targets
from infra.monitoring.vc import SIP_PROBE_FILE, sip_probe_config

HEADER = "# Rendered by `infra monitoring render` from the inventory: do not edit, re-render.\n"


# libyaml's emitter when present (5,000 devices: ~40x faster than the pure-Python one).
_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


BIG = 2000  # entries: above this, YAML is written in its JSON form (C-speed, still valid YAML)


def _entries(data: Any) -> int:
    if isinstance(data, dict):
        return sum(_entries(v) for v in data.values()) + len(data)
    if isinstance(data, list):
        return sum(_entries(v) for v in data) + len(data)
    return 0


def _yaml(data: Any) -> str:
    if _entries(data) > BIG * 10:
        # One JSON object per line is valid YAML for Prometheus and Alertmanager, 40x faster to write
        # than PyYAML's representer at 5,000 devices, and still diffs line by line.
        return HEADER + _json_lines(data) + "\n"
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def _json_lines(data: Any, indent: str = "") -> str:
    """JSON with every element of a list of mappings on its own line."""
    if isinstance(data, dict) and any(isinstance(v, (dict, list)) for v in data.values()):
        inner = [f"{indent} {json.dumps(k)}: {_json_lines(v, indent + ' ')}" for k, v in data.items()]
        return "{\n" + ",\n".join(inner) + f"\n{indent}}}"
    if isinstance(data, list) and data and all(isinstance(v, (dict, list)) for v in data):
        if any(
            isinstance(v, dict) and any(isinstance(x, list) and len(x) > 50 for x in v.values()) for v in data
        ):
            inner = [f"{indent} {_json_lines(v, indent + ' ')}" for v in data]
        else:
            inner = [f"{indent} {json.dumps(v, ensure_ascii=False)}" for v in data]
        return "[\n" + ",\n".join(inner) + f"\n{indent}]"
    return json.dumps(data, ensure_ascii=False)


def _json(data: Any, indent: int | None = 2) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Rendered:
    files: dict[str, str]  # relative path -> text

    def sizes(self) -> dict[str, int]:
        return {p: len(t.encode()) for p, t in self.files.items()}


def render_monitoring(inv: Inventory, opts: RenderOptions) -> Rendered:
    files: dict[str, str] = {}
    targets = build_targets(inv, opts).files()
    for name, groups in targets.items():
        files[f"targets/{name}"] = _json(groups, indent=None if len(groups) > 500 else 2)
    snmp_files = sorted(n for n in targets if n.startswith("snmp-"))
    province = inv.province.code
    sip_probe = sip_probe_config(inv)
    vc = sip_probe is not None
    if opts.shards <= 1:
        files["prometheus.yml"] = _yaml(prometheus_config(opts, snmp_files, province, vc=vc))
    else:
        for i in range(opts.shards):
            files[f"prometheus-shard-{i}.yml"] = _yaml(
                prometheus_config(opts, snmp_files, province, shard=i, vc=vc)
            )
        files["prometheus-global.yml"] = _yaml(global_config(opts, province))
    for name, content in rule_files(inv, opts).items():
        files[f"rules/{name}"] = _yaml(content)
    files["alertmanager.yml"] = _yaml(alertmanager_config(inv, opts))
    files["snmp-exporter.yml"] = _yaml(snmp_exporter_auths(inv))
    files["blackbox.yml"] = _yaml(blackbox_config(inv))
    if sip_probe is not None:
        files[SIP_PROBE_FILE] = _yaml(sip_probe)
    for name, board in dashboards(inv.province.name).items():
        files[f"dashboards/{name}"] = _json(board)
    return Rendered(files)


def write_monitoring(rendered: Rendered, out: Path) -> list[Path]:
    """Write every file (creating directories); returns the paths written."""
    written = []
    for rel, text in sorted(rendered.files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
