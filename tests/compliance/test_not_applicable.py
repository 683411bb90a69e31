"""A rule with nothing to check on a device (no SNMP, no BGP/OSPF, no interface kinds known
without an inventory) is "not applicable", with the reason, and is left out of the score; every
report format shows it as such (JUnit: skipped with the reason; SARIF: omitted like passes,
counted in the run's properties)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from infra.audit.compliance import ComplianceReport, render_compliance, run_compliance
from infra.audit.compliance.report import DeviceReport, Status
from tests.compliance.helpers import FACTS, GOLDEN_FILES, HERE, TODAY, audit_text, failed_ids

REAL_WORLD = HERE / "corpus" / "real_world"
BRANCH = REAL_WORLD / "ios-branch-no-snmp.cfg"

# a branch router without SNMP, BGP, OSPF or switch ports, audited without an inventory
NOT_APPLICABLE = {
    "IOS-SNMP-NO-DEFAULT-COMMUNITY",
    "IOS-SNMP-NO-RW",
    "IOS-SNMPV3-PRIV",
    "IOS-OSPF-AUTH",
    "IOS-BGP-AUTH",
    "IOS-EXTERNAL-NO-DISCOVERY",
    "IOS-EXTERNAL-NO-PROXY-ARP",
    "IOS-EXTERNAL-URPF",
    "IOS-ACCESS-PORT-VLAN",
    "IOS-MGMT-NOT-VLAN1",
    "IOS-UNUSED-PORTS",
    "IOS-BPDU-GUARD",
    "IOS-DHCP-SNOOPING",
    "IOS-STORM-CONTROL",
}


def _statuses(report: DeviceReport) -> dict[str, Status]:
    return {r.rule.id: r.status for r in report.results}


def test_rules_with_nothing_to_check_are_not_applicable() -> None:
    report = audit_text(BRANCH.read_text())
    assert report.platform == "cisco_ios"
    statuses = _statuses(report)
    assert {i for i, s in statuses.items() if s is Status.NOT_APPLICABLE} == NOT_APPLICABLE
    assert failed_ids(report) == set()
    reasons = {r.rule.id: r.reason for r in report.not_applicable}
    assert "snmp-server" in reasons["IOS-SNMPV3-PRIV"]
    assert "router bgp" in reasons["IOS-BGP-AUTH"]
    assert "inventory" in reasons["IOS-EXTERNAL-URPF"]


def test_no_snmp_is_not_a_snmpv3_finding() -> None:
    """The SNMPv3 rule failed every device without SNMP ("missing snmp-server group ... v3 priv")."""
    no_snmp = "".join(
        ln
        for ln in GOLDEN_FILES["cisco_ios"].read_text().splitlines(True)
        if not ln.startswith("snmp-server")
    )
    ios = audit_text(no_snmp, "cisco_ios", facts=FACTS)
    assert _statuses(ios)["IOS-SNMPV3-PRIV"] is Status.NOT_APPLICABLE
    assert failed_ids(ios) == set()
    vrp_text = "".join(
        ln
        for ln in GOLDEN_FILES["huawei_vrp"].read_text().splitlines(True)
        if not ln.startswith("snmp-agent")
    )
    vrp = audit_text(vrp_text, "huawei_vrp", facts=FACTS, role="firewall")
    assert _statuses(vrp)["VRP-SNMPV3-PRIV"] is Status.NOT_APPLICABLE
    assert _statuses(vrp)["VRP-SNMP-NO-DEFAULT-COMMUNITY"] is Status.NOT_APPLICABLE
    assert failed_ids(vrp) == set()
    # SNMP that is configured is still checked
    v2c = no_snmp.replace("end\n", "snmp-server community M0n1t0r RO\nend\n")
    assert "IOS-SNMPV3-PRIV" in failed_ids(audit_text(v2c, "cisco_ios", facts=FACTS))


def test_not_applicable_rules_do_not_raise_the_score() -> None:
    """Score = severity-weighted passes / applicable (unwaived) rules: a rule with nothing to check
    counted as a pass before, so a device with less configured scored higher."""
    text = BRANCH.read_text().replace("ip ssh version 2\n", "")  # one high finding
    report = audit_text(text)
    assert failed_ids(report) == {"IOS-SSH-V2"}
    weights = {r.rule.id: r.rule.severity.weight for r in report.results}
    applicable = [i for i, s in _statuses(report).items() if s is not Status.NOT_APPLICABLE]
    expected = 100.0 * (sum(weights[i] for i in applicable) - 10) / sum(weights[i] for i in applicable)
    assert report.score == round(expected, 1)
    # adding a BGP session with a password changes nothing but the BGP rule's status
    bgp = text.replace(
        "ip forward-protocol nd\n",
        "router bgp 65117\n neighbor 10.124.3.33 remote-as 64600\n neighbor 10.124.3.33 password 7 0458\n"
        "ip forward-protocol nd\n",
    )
    with_bgp = audit_text(bgp)
    assert _statuses(with_bgp)["IOS-BGP-AUTH"] is Status.PASS
    assert with_bgp.score is not None and report.score is not None and with_bgp.score > report.score


def test_a_device_where_no_rule_applies_has_no_score() -> None:
    report = DeviceReport("d", "cisco_ios", "test")
    assert report.score is None
    assert "n/a" in render_compliance(ComplianceReport([report], "now", "test"), "table")


@pytest.fixture(scope="module")
def report() -> ComplianceReport:
    return run_compliance(None, offline=REAL_WORLD, today=TODAY)


def _branch(report: ComplianceReport) -> DeviceReport:
    return next(d for d in report.devices if d.host == "ios-branch-no-snmp")


def test_json_shows_not_applicable_with_the_reason(report: ComplianceReport) -> None:
    doc = json.loads(render_compliance(report, "json"))
    dev = next(d for d in doc["devices"] if d["host"] == "ios-branch-no-snmp")
    na = {r["rule"]: r for r in dev["results"] if r["status"] == "not_applicable"}
    assert set(na) == NOT_APPLICABLE and dev["counts"]["not_applicable"] == len(NOT_APPLICABLE)
    assert "snmp-server" in na["IOS-SNMPV3-PRIV"]["reason"]
    assert not set(na) & set(dev["passed"])
    assert sum(g["not_applicable"] for g in doc["summary"]["groups"].values()) >= len(NOT_APPLICABLE)


def test_junit_skips_not_applicable_rules_with_the_reason(report: ComplianceReport) -> None:
    root = ET.fromstring(render_compliance(report, "junit"))
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "ios-branch-no-snmp")
    cases = {c.get("name", "").split()[0]: c for c in suite.iter("testcase")}
    assert len(cases) == int(suite.get("tests", "0")) == len(_branch(report).results)
    skipped = {i for i, c in cases.items() if c.find("skipped") is not None}
    assert skipped == NOT_APPLICABLE and suite.get("skipped") == str(len(NOT_APPLICABLE))
    message = cases["IOS-BGP-AUTH"].find("skipped").get("message", "")  # type: ignore[union-attr]
    assert message.startswith("not applicable: ") and "router bgp" in message
    assert cases["IOS-SSH-V2"].find("skipped") is None and cases["IOS-SSH-V2"].find("failure") is None


def test_sarif_omits_not_applicable_rules_and_counts_them(report: ComplianceReport) -> None:
    (run,) = json.loads(render_compliance(report, "sarif"))["runs"]
    branch = [r for r in run["results"] if r["properties"]["host"] == "ios-branch-no-snmp"]
    assert branch == []  # no finding, and neither passes nor not-applicable rules are results
    assert all(r["kind"] == "fail" for r in run["results"])
    counts = run["properties"]["counts"]
    assert counts["not_applicable"] >= len(NOT_APPLICABLE) and counts["pass"] > 0
    assert "not applicable" in run["properties"]["omitted"]


def test_table_and_html_show_not_applicable(report: ComplianceReport) -> None:
    table = render_compliance(report, "table")
    row = next(ln for ln in table.splitlines() if ln.startswith("ios-branch-no-snmp "))
    assert row.split()[-1] == str(len(NOT_APPLICABLE))
    assert re.search(r"GROUP .* N/A", table)
    html = render_compliance(report, "html")
    assert f"{len(NOT_APPLICABLE)} not applicable" in html
    assert "IOS-BGP-AUTH — no router bgp" in html
