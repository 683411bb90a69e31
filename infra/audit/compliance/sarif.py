"""SARIF 2.1.0 for code-scanning dashboards: one rule per catalogue rule, one result per finding,
located at the configuration file (and line, when the evidence is a line of it).

Only findings are results (`kind: fail`; a waived one carries a suppression). Passed and
not-applicable rules are omitted, both the same way, because dashboards list every result as
an alert; the run's properties count them (`counts`) and say so (`omitted`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra import __version__
from infra.audit.compliance.report import ComplianceReport, Status

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "2.0"}


def _uri(origin: str, evidence_source: str) -> str:
    if origin in ("online", "") or not Path(origin).exists():
        base = origin or "online"
        return f"{base}{evidence_source}" if evidence_source else base
    path = Path(origin)
    if path.is_dir() and evidence_source:
        path = path / evidence_source.lstrip("/")
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def as_sarif(report: ComplianceReport) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for d in report.devices:
        for r in d.results:
            if r.status not in (Status.FAIL, Status.WAIVED):
                continue
            rule = r.rule
            if rule.id not in rules:
                rules[rule.id] = {
                    "id": rule.id,
                    "name": rule.id.title().replace("-", ""),
                    "shortDescription": {"text": rule.title},
                    "help": {"text": rule.remediation},
                    "defaultConfiguration": {"level": _LEVEL[rule.severity.value]},
                    "properties": {
                        "security-severity": _SECURITY_SEVERITY[rule.severity.value],
                        "tags": [
                            "security",
                            f"circular-12-2022/{rule.references.circular_12_2022.value}",
                            *rule.references.stig,
                            *[f"CIS {c}" for c in rule.references.cis],
                        ],
                        "stig_category": rule.severity.stig_category,
                    },
                }
            first = next((e for e in r.evidence if e.line), None)
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(d.origin, first.source if first else "")}
                }
            }
            if first is not None:
                location["physicalLocation"]["region"] = {"startLine": first.line}
            location["logicalLocations"] = [{"name": d.host, "kind": "device"}]
            result: dict[str, Any] = {
                "ruleId": rule.id,
                "kind": "fail",
                "ruleIndex": list(rules).index(rule.id),
                "level": _LEVEL[rule.severity.value],
                "message": {"text": f"{d.host}: {rule.title}. " + "; ".join(e.text for e in r.evidence[:5])},
                "locations": [location],
                "properties": {"host": d.host, "site": d.site, "platform": d.platform},
            }
            if r.status is Status.WAIVED and r.waiver is not None:
                result["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": f"{r.waiver.reason} (until {r.waiver.expires})",
                    }
                ]
            results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infra audit --compliance",
                        "version": __version__,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                "properties": {
                    "mode": report.mode,
                    "generated": report.generated,
                    "counts": {
                        status.value: sum(r.status is status for d in report.devices for r in d.results)
                        for status in Status
                    },
                    "omitted": "results of rules that passed or were not applicable (nothing to check)",
                },
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
