"""Every rule of the catalogue: a passing case (the golden configuration) and a failing case
(one small edit of it, from rule_cases.yml) with the evidence an auditor would see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.audit.compliance.catalogue import CATALOGUE_PLATFORMS, CatalogueError, load_catalogue
from infra.audit.compliance.report import Status
from tests.compliance.helpers import HERE, audit_golden, failed_ids

CASES: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(
    (HERE / "rule_cases.yml").read_text(encoding="utf-8")
)
RULE_CASES = [(platform, rule, case) for platform, rules in CASES.items() for rule, case in rules.items()]


def test_every_rule_has_a_failing_case() -> None:
    catalogue = {r.id for r in load_catalogue()}
    cased = {rule for _, rule, _ in RULE_CASES}
    assert catalogue - cased == set(), "rules without a failing case"
    assert cased - catalogue == set(), "cases for rules that do not exist"


@pytest.mark.parametrize("platform", CATALOGUE_PLATFORMS)
def test_golden_configuration_passes_every_rule(platform: str) -> None:
    report = audit_golden(platform)
    assert report.platform == platform
    assert failed_ids(report) == set()
    applied = [r for r in report.results if r.status is Status.PASS]
    # every rule of the platform is exercised by the golden file (none skipped as not applicable)
    assert {r.rule.id for r in applied} == set(CASES[platform])
    assert report.score == 100.0


@pytest.mark.parametrize(("platform", "rule", "case"), RULE_CASES, ids=[r for _, r, _ in RULE_CASES])
def test_rule_fails_on_its_bad_case(platform: str, rule: str, case: dict[str, Any]) -> None:
    report = audit_golden(platform, case)
    assert rule in failed_ids(report)
    finding = next(r for r in report.findings if r.rule.id == rule)
    evidence = "\n".join(e.text for e in finding.evidence)
    assert case["evidence"] in evidence
    assert finding.remediation.strip()
    assert report.score < 100.0


def test_docs_list_every_rule() -> None:
    doc = (HERE.parent.parent / "docs" / "compliance.md").read_text(encoding="utf-8")
    missing = [r.id for r in load_catalogue() if f"`{r.id}`" not in doc]
    assert missing == []


def test_a_bad_rule_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(
        "rules:\n  - id: X-ONE\n    title: t\n    severity: critical\n    platforms: [frr]\n"
        "    references: {circular_12_2022: network}\n    checks: [{kind: must_have, pattern: '(unclosed'}]\n"
        "    remediation: r\n"
    )
    with pytest.raises(CatalogueError) as err:
        load_catalogue(tmp_path)
    text = str(err.value)
    assert (
        "x.yml" in text and "rule X-ONE" in text and "severity" in text and "bad regular expression" in text
    )
