"""Apply the catalogue to one parsed device: results per rule, waivers, rendered remediation."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Any

import jinja2

from infra.audit.compliance.catalogue import References, Rule
from infra.audit.compliance.checks import Evidence, Facts, applies, describe_path, run_check
from infra.audit.compliance.parse import DeviceConfig
from infra.audit.compliance.redact import redact
from infra.audit.compliance.report import AppliedWaiver, DeviceReport, RuleResult, Status
from infra.inventory.models import Waiver

UNPARSEABLE = Rule.model_validate(
    {
        "id": "AUDIT-UNPARSEABLE",
        "title": "The configuration could be read and assessed",
        "severity": "high",
        "platforms": ["cisco_ios", "huawei_vrp", "frr", "linux", "cisco_tp"],
        "references": {"circular_12_2022": "network"},
        "checks": [{"kind": "must_have", "pattern": "."}],
        "remediation": "Hand over the device's full running configuration as text "
        "(or name its platform with --platform).",
    }
)

# What remediation text sees when no inventory tells the real values.
PLACEHOLDERS: dict[str, Any] = {
    "ntp_servers": ["<ntp-server-1>", "<ntp-server-2>"],
    "syslog_servers": ["<syslog-server-1>", "<syslog-server-2>"],
    "aaa_servers": ["<aaa-server-1>", "<aaa-server-2>"],
    "banner": "Authorised access only. Activity is logged and monitored.",
    "idle_timeout_minutes": 10,
    "login_max_failures": 3,
    "mgmt_network": "<mgmt-network>",
    "mgmt_wildcard": "<mgmt-wildcard>",
    "mgmt_prefix": "<mgmt-prefix>",
    "mgmt_mask": "<mgmt-mask>",
    "sip_proxy": "<call-controller>:<port>",
    "sip_domain": "<sip-domain>",
}

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=1024)
def _template(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def render_remediation(rule: Rule, context: dict[str, Any], sections: Sequence[str] = ()) -> str:
    return _template(rule.remediation).render(**context, sections=list(sections)).strip()


def unparseable(
    device: DeviceReport, reason: str, group: str = "network", remediation: str | None = None
) -> DeviceReport:
    rule = UNPARSEABLE
    if group != "network":
        rule = rule.model_copy(update={"references": References(circular_12_2022=group)})  # type: ignore[arg-type]
    fix = remediation or rule.remediation.strip()
    device.results = [RuleResult(rule, Status.FAIL, [Evidence(reason, missing=True)], fix)]
    return device


def not_applicable(rule: Rule, reason: str) -> RuleResult:
    """A rule with nothing to check on this device: left out of the score, shown with its reason."""
    return RuleResult(rule, Status.NOT_APPLICABLE, [Evidence(reason)])


def find_waiver(rule_id: str, waivers: Sequence[Waiver], today: date) -> AppliedWaiver | None:
    """The waiver for a rule: a live one wins over an expired one (which does not apply)."""
    best: AppliedWaiver | None = None
    for w in waivers:
        if w.rule == rule_id or fnmatch.fnmatchcase(rule_id, w.rule):
            applied = AppliedWaiver(w.reason, w.expires, w.expires < today, w.rule)
            if not applied.expired:
                return applied
            best = best or applied
    return best


def audit_device(
    device: DeviceConfig,
    report: DeviceReport,
    rules: Sequence[Rule],
    *,
    facts: Facts,
    waivers: Sequence[Waiver] = (),
    today: date,
    context: dict[str, Any],
) -> DeviceReport:
    for rule in rules:
        if device.platform not in rule.platforms:
            continue
        if rule.roles and report.role not in rule.roles:
            why = f"only for role {', '.join(rule.roles)} (this device: {report.role or 'role unknown'})"
            report.results.append(not_applicable(rule, why))
            continue
        if not applies(device, rule.applies_if):
            report.results.append(not_applicable(rule, f"not configured: {describe_path(rule.applies_if)}"))
            continue
        evidence: list[Evidence] = []
        passed = True
        vacant: list[str] = []  # why each check had nothing to examine
        for check in rule.checks:
            outcome = run_check(device, check, facts)
            if not outcome.applicable:
                vacant.append(outcome.reason)
            elif not outcome.passed:
                passed = False
                evidence += [e if e.missing else replace(e, text=redact(e.text)) for e in outcome.evidence]
        if len(vacant) == len(rule.checks):
            report.results.append(not_applicable(rule, "; ".join(dict.fromkeys(vacant))))
            continue
        if passed:
            report.results.append(RuleResult(rule, Status.PASS))
            continue
        sections = list(dict.fromkeys(e.section for e in evidence if e.section))
        waiver = find_waiver(rule.id, waivers, today)
        status = Status.WAIVED if waiver and not waiver.expired else Status.FAIL
        report.results.append(
            RuleResult(rule, status, evidence, render_remediation(rule, context, sections), waiver)
        )
    return report
