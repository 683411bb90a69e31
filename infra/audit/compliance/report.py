"""What a compliance audit produces: findings per device and rule, scores per device and site."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from infra.audit.compliance.catalogue import Rule, Severity
from infra.audit.compliance.checks import Evidence


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class AppliedWaiver:
    reason: str
    expires: date
    expired: bool
    source: str  # the waiver's rule pattern as written


@dataclass
class RuleResult:
    rule: Rule
    status: Status
    evidence: list[Evidence] = field(default_factory=list)
    remediation: str = ""
    waiver: AppliedWaiver | None = None

    @property
    def reason(self) -> str:
        """Why a rule is not applicable (what the device does not have), else ""."""
        if self.status is Status.NOT_APPLICABLE and self.evidence:
            return self.evidence[0].text
        return ""

    def as_dict(self) -> dict[str, Any]:
        r = self.rule
        out = {
            "rule": r.id,
            "title": r.title,
            "severity": r.severity.value,
            "stig_category": r.severity.stig_category,
            "references": {
                "stig": r.references.stig,
                "cis": r.references.cis,
                "circular_12_2022": r.references.circular_12_2022.value,
            },
            "status": self.status.value,
            "evidence": [
                {"text": e.text, "line": e.line or None, "missing": e.missing, "file": e.source or None}
                for e in self.evidence
            ],
            "remediation": self.remediation,
            "waiver": None
            if self.waiver is None
            else {
                "reason": self.waiver.reason,
                "expires": self.waiver.expires.isoformat(),
                "expired": self.waiver.expired,
                "rule_pattern": self.waiver.source,
            },
        }
        if self.status is Status.NOT_APPLICABLE:
            out["reason"] = self.reason
        return out


@dataclass
class DeviceReport:
    host: str
    platform: str | None
    origin: str
    site: str = "(unknown)"
    role: str | None = None
    results: list[RuleResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. --platform given for a file unlike it

    @property
    def findings(self) -> list[RuleResult]:
        return [r for r in self.results if r.status is Status.FAIL]

    @property
    def waived(self) -> list[RuleResult]:
        return [r for r in self.results if r.status is Status.WAIVED]

    @property
    def not_applicable(self) -> list[RuleResult]:
        return [r for r in self.results if r.status is Status.NOT_APPLICABLE]

    def weights(self) -> tuple[int, int]:
        """(passed, assessed) severity-weighted; waived and not-applicable rules are left out."""
        passed = sum(r.rule.severity.weight for r in self.results if r.status is Status.PASS)
        failed = sum(r.rule.severity.weight for r in self.results if r.status is Status.FAIL)
        return passed, passed + failed

    @property
    def score(self) -> float | None:
        """Weighted share of the applicable, unwaived rules passed; None when no rule applied
        (nothing was assessed, so there is nothing to score)."""
        passed, assessed = self.weights()
        return round(100.0 * passed / assessed, 1) if assessed else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "site": self.site,
            "role": self.role,
            "platform": self.platform,
            "origin": self.origin,
            "warnings": self.warnings,
            "score": self.score,
            "counts": {s.value: sum(1 for r in self.results if r.status is s) for s in Status},
            "results": [r.as_dict() for r in self.results if r.status is not Status.PASS],
            "passed": [r.rule.id for r in self.results if r.status is Status.PASS],
        }


@dataclass
class ComplianceReport:
    devices: list[DeviceReport]
    generated: str  # ISO timestamp
    mode: str  # "offline DIR" or "online"

    def findings(self, at_least: Severity | None = None) -> list[tuple[DeviceReport, RuleResult]]:
        return [
            (d, r)
            for d in self.devices
            for r in d.findings
            if at_least is None or r.rule.severity.rank >= at_least.rank
        ]

    @property
    def warnings(self) -> list[str]:
        return [w for d in self.devices for w in d.warnings]

    def fails_at(self, severity: Severity) -> bool:
        return bool(self.findings(severity))

    def site_scores(self) -> dict[str, dict[str, Any]]:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for d in self.devices:
            passed, assessed = d.weights()
            a = acc[d.site]
            a[0] += passed
            a[1] += assessed
            a[2] += 1
            a[3] += len(d.findings)
        return {
            site: {
                "score": round(100.0 * p / t, 1) if t else None,
                "devices": n,
                "findings": f,
            }
            for site, (p, t, n, f) in sorted(acc.items())
        }

    def group_summary(self) -> dict[str, dict[str, int]]:
        """Per Circular 12/2022 group: rules passed, failed, waived and not applicable over all
        devices."""
        out: dict[str, dict[str, int]] = defaultdict(
            lambda: {"pass": 0, "fail": 0, "waived": 0, "not_applicable": 0}
        )
        for d in self.devices:
            for r in d.results:
                out[r.rule.references.circular_12_2022.value][r.status.value] += 1
        return dict(sorted(out.items()))

    def severity_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for _, r in self.findings():
            counts[r.rule.severity.value] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "mode": self.mode,
            "summary": {
                "devices": len(self.devices),
                "findings": self.severity_counts(),
                "sites": self.site_scores(),
                "groups": self.group_summary(),
            },
            "devices": [d.as_dict() for d in self.devices],
        }
