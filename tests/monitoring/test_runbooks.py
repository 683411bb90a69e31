"""One runbook per alert, written for on-call: what it means, impact, first checks, escalation."""

from __future__ import annotations

from pathlib import Path

from infra.monitoring.alerts import ALERTS

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks"
SECTIONS = ("## What it means", "## Impact", "## First checks", "## Escalation")


def test_every_alert_has_its_runbook_and_no_runbook_is_orphaned() -> None:
    names = {a.name for a in ALERTS}
    files = {p.stem for p in RUNBOOKS.glob("*.md")}
    assert names - files == set(), "alerts without a runbook"
    assert files - names == set(), "runbooks of alerts that no longer exist"


def test_runbooks_have_the_sections_and_the_current_expression() -> None:
    for a in ALERTS:
        text = (RUNBOOKS / f"{a.name}.md").read_text()
        assert text.startswith(f"# {a.name}\n")
        for section in SECTIONS:
            assert section in text, f"{a.name}: missing {section}"
        assert a.expr in text, f"{a.name}: the runbook shows an old expression; update it"
        assert f"**Severity:** {a.severity}" in text and f"**for:** {a.for_}" in text
