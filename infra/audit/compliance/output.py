"""The compliance report as text: a table for people, JSON for tools, JUnit XML for CI.
(HTML for auditors and SARIF for code-scanning dashboards live in html.py and sarif.py.)"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from infra.audit.compliance.report import ComplianceReport, RuleResult, Status

FORMATS = ("table", "json", "junit", "html", "sarif")


def _evidence_lines(r: RuleResult) -> list[str]:
    out = []
    for e in r.evidence:
        where = f"{e.source}:" if e.source else ""
        where += f"{e.line}: " if e.line else ("" if not where else " ")
        out.append(f"{where}{e.text}")
    return out


def score_text(score: float | None) -> str:
    """A score as shown: "n/a" when no rule applied (nothing was assessed)."""
    return "n/a" if score is None else str(score)


def as_table(report: ComplianceReport, verbose: bool = True) -> str:
    lines = [f"compliance audit ({report.mode}), {report.generated}", ""]
    sites = report.site_scores()
    lines.append(f"{'SITE':<24} {'SCORE':>6} {'DEVICES':>8} {'FINDINGS':>9}")
    lines += [
        f"{s:<24} {score_text(v['score']):>6} {v['devices']:>8} {v['findings']:>9}" for s, v in sites.items()
    ]
    lines += ["", f"{'GROUP (Circular 12/2022)':<24} {'PASS':>6} {'FAIL':>6} {'WAIVED':>7} {'N/A':>6}"]
    for g, c in report.group_summary().items():
        lines.append(f"{g:<24} {c['pass']:>6} {c['fail']:>6} {c['waived']:>7} {c['not_applicable']:>6}")
    lines += [
        "",
        f"{'DEVICE':<28} {'PLATFORM':<11} {'SCORE':>6} {'HIGH':>5} {'MED':>4} {'LOW':>4} {'WAIVED':>7} "
        f"{'N/A':>4}",
    ]
    for d in report.devices:
        sev = {s: sum(1 for r in d.findings if r.rule.severity.value == s) for s in ("high", "medium", "low")}
        lines.append(
            f"{d.host:<28} {d.platform or '?':<11} {score_text(d.score):>6} {sev['high']:>5} "
            f"{sev['medium']:>4} {sev['low']:>4} {len(d.waived):>7} {len(d.not_applicable):>4}"
        )
    lines += ["", "N/A: rules with nothing to check on the device (left out of the score)"]
    if verbose:
        for d in report.devices:
            shown = [r for r in d.results if r.status in (Status.FAIL, Status.WAIVED)]
            if not shown:
                continue
            lines += ["", f"--- {d.host} ({d.origin})"]
            for r in shown:
                tag = "WAIVED" if r.status is Status.WAIVED else r.rule.severity.value.upper()
                refs = ", ".join(r.rule.references.stig + [f"CIS {c}" for c in r.rule.references.cis])
                lines.append(f"  [{tag}] {r.rule.id}: {r.rule.title}" + (f" ({refs})" if refs else ""))
                if r.waiver is not None:
                    state = "EXPIRED" if r.waiver.expired else "until"
                    lines.append(f"      waiver {state} {r.waiver.expires}: {r.waiver.reason}")
                lines += [f"      {ln}" for ln in _evidence_lines(r)[:8]]
            if d.not_applicable:
                lines.append(f"  not applicable: {', '.join(r.rule.id for r in d.not_applicable)}")
    return "\n".join(lines)


def as_json(report: ComplianceReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)


def as_junit(report: ComplianceReport) -> str:
    """One <testsuite> per device, one <testcase> per rule of its platform; a finding is a
    <failure>, a waived rule is <skipped> with the waiver, a rule with nothing to check is
    <skipped> with "not applicable: <reason>", an unreadable configuration is an <error>."""
    root = ET.Element("testsuites", name="infra audit --compliance")
    for d in report.devices:
        results = d.results
        suite = ET.SubElement(
            root,
            "testsuite",
            name=d.host,
            tests=str(len(results)),
            failures=str(sum(r.status is Status.FAIL and r.rule.id != "AUDIT-UNPARSEABLE" for r in results)),
            errors=str(sum(r.rule.id == "AUDIT-UNPARSEABLE" for r in results)),
            skipped=str(sum(r.status in (Status.WAIVED, Status.NOT_APPLICABLE) for r in results)),
        )
        for r in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"compliance.{d.host}", name=f"{r.rule.id} {r.rule.title}"
            )
            body = "\n".join([*_evidence_lines(r), "", "remediation:", r.remediation])
            if r.status is Status.FAIL:
                tag = "error" if r.rule.id == "AUDIT-UNPARSEABLE" else "failure"
                el = ET.SubElement(case, tag, type=r.rule.severity.value, message=r.rule.title)
                el.text = body
            elif r.status is Status.WAIVED and r.waiver is not None:
                ET.SubElement(case, "skipped", message=f"waived until {r.waiver.expires}: {r.waiver.reason}")
            elif r.status is Status.NOT_APPLICABLE:
                ET.SubElement(case, "skipped", message=f"not applicable: {r.reason}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def render(report: ComplianceReport, fmt: str) -> str:
    if fmt == "table":
        return as_table(report)
    if fmt == "json":
        return as_json(report)
    if fmt == "junit":
        return as_junit(report)
    if fmt == "html":
        from infra.audit.compliance.html import as_html

        return as_html(report)
    if fmt == "sarif":
        from infra.audit.compliance.sarif import as_sarif

        return as_sarif(report)
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
