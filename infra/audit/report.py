"""Audit reports in three shapes: a table for people, JSON for tools, JUnit XML for CI.

Any audit (drift, compliance) turns its outcome into `Check`s: one per device and thing checked.
A per-host audit (network drift, server drift) runs as `Result`s (infra.results) like every other
per-host operation; `Check.of(audit, result)` is the one view of a Result as a Check.
JUnit maps each check to a `<testcase>` (classname = the audit, name = the device), a failed
check to `<failure>`, an unreadable device to `<error>`, so CI pipelines show them natively.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from infra.results import Result


@dataclass(frozen=True)
class Check:
    audit: str  # "drift", "compliance", ...
    host: str
    status: str  # "pass" | "fail" | "error" | "skipped"
    summary: str  # one line
    detail: str = ""  # diff, evidence, remediation
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")

    @staticmethod
    def status_of(result: Result) -> str:
        """An audit's reading of a host's Result: not read (failed, unreachable) is an error, a
        change found (drift) a fail, a skipped host skipped, the rest a pass."""
        if not result.ok:
            return "error"
        if result.changed:
            return "fail"
        return "skipped" if result.skipped else "pass"

    @classmethod
    def of(cls, audit: str, result: Result, summary: str | None = None) -> Check:
        """The Check of one host's Result: its message (or `summary`), its diff as the detail."""
        return cls(
            audit,
            result.host,
            cls.status_of(result),
            result.message if summary is None else summary,
            result.diff,
            result.duration_s,
        )


def as_table(checks: Sequence[Check], columns: Sequence[str] = ("host", "status", "summary")) -> str:
    rows = [[str(getattr(c, col)) for col in columns] for c in checks]
    if not rows:
        return "(nothing)"
    widths = [max(len(col), *(len(r[i]) for r in rows)) for i, col in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def as_json(checks: Sequence[Check], extra: dict[str, Any] | None = None) -> str:
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    doc = {**(extra or {}), "counts": counts, "checks": [asdict(c) for c in checks]}
    return json.dumps(doc, indent=2, ensure_ascii=False)


def as_junit(checks: Sequence[Check], suite: str = "infra audit") -> str:
    root = ET.Element("testsuites", name=suite)
    by_audit: dict[str, list[Check]] = {}
    for c in checks:
        by_audit.setdefault(c.audit, []).append(c)
    for audit, items in by_audit.items():
        ts = ET.SubElement(
            root,
            "testsuite",
            name=audit,
            tests=str(len(items)),
            failures=str(sum(c.status == "fail" for c in items)),
            errors=str(sum(c.status == "error" for c in items)),
            skipped=str(sum(c.status == "skipped" for c in items)),
            time=f"{sum(c.duration_s for c in items):.3f}",
        )
        for c in items:
            tc = ET.SubElement(ts, "testcase", classname=audit, name=c.host, time=f"{c.duration_s:.3f}")
            if c.status in ("fail", "error"):
                el = ET.SubElement(tc, "failure" if c.status == "fail" else "error", message=c.summary)
                el.text = c.detail
            elif c.status == "skipped":
                ET.SubElement(tc, "skipped", message=c.summary)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(checks: Sequence[Check], fmt: str, extra: dict[str, Any] | None = None) -> str:
    if fmt == "json":
        return as_json(checks, extra)
    if fmt == "junit":
        return as_junit(checks)
    return as_table(checks)
