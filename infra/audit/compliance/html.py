"""The auditor's report: one self-contained HTML file (inline CSS, no scripts, no external assets)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import jinja2
from markupsafe import Markup

from infra.audit.compliance.catalogue import Rule
from infra.audit.compliance.report import ComplianceReport

_TEMPLATE = Path(__file__).with_name("report.html.j2")


def _bar(score: float | None) -> Markup:
    if score is None:
        return Markup('<span class="bar"></span>')
    colour = "#1e7d32" if score >= 90 else "#c26a00" if score >= 70 else "#b3261e"
    return Markup('<span class="bar"><span style="width:{:.0f}%;background:{}"></span></span>').format(
        max(0.0, min(100.0, score)), colour
    )


def _refs(rule: Rule) -> str:
    parts = [*rule.references.stig, *[f"CIS {c}" for c in rule.references.cis]]
    return ", ".join(parts) if parts else "(no STIG/CIS id)"


def as_html(report: ComplianceReport) -> str:
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    template = env.from_string(_TEMPLATE.read_text(encoding="utf-8"))
    failed = Counter(r.rule.id for _, r in report.findings())
    rules = {r.rule.id: r.rule for _, r in report.findings()}
    passed = sum(d.weights()[0] for d in report.devices)
    assessed = sum(d.weights()[1] for d in report.devices)
    return template.render(
        generated=report.generated,
        mode=report.mode,
        devices=report.devices,
        sites=report.site_scores(),
        groups=report.group_summary(),
        severity=report.severity_counts(),
        waived=sum(len(d.waived) for d in report.devices),
        clean=sum(1 for d in report.devices if not d.findings),
        overall=round(100.0 * passed / assessed, 1) if assessed else None,
        top_rules=[(rules[i], n) for i, n in failed.most_common(15)],
        bar=_bar,
        pct=lambda score: "n/a" if score is None else f"{score}%",
        refs=_refs,
    )
