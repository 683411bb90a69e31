"""Compliance audit: the security baseline (DOMAIN.md) as a rule catalogue checked against
device configurations, offline (a directory of files) or online (the live devices).

    report = run_compliance(inventory, offline=Path("configs/"))
    print(render_compliance(report, "html"))
"""

from __future__ import annotations

from pathlib import Path

from infra.audit.compliance.catalogue import CatalogueError, Rule, Severity, load_catalogue, rules_for
from infra.audit.compliance.linux import gather_linux_facts
from infra.audit.compliance.output import FORMATS
from infra.audit.compliance.output import render as render_compliance
from infra.audit.compliance.report import ComplianceReport, DeviceReport, RuleResult, Status
from infra.audit.compliance.run import ComplianceInputError, run_compliance
from infra.inventory import Inventory, load_inventory
from infra.state import StatePaths

__all__ = [
    "FORMATS",
    "CatalogueError",
    "ComplianceInputError",
    "ComplianceReport",
    "DeviceReport",
    "Rule",
    "RuleResult",
    "Severity",
    "Status",
    "gather_linux_facts",
    "load_catalogue",
    "render_compliance",
    "rules_for",
    "run_compliance",
    "run_compliance_cli",
    "write_report",
]


def run_compliance_cli(
    inventory_path: Path,
    offline: str | None,
    limit: str | None,
    platform: str | None,
    state_dir: Path | None,
    forks: int = 25,
) -> ComplianceReport:
    """`infra audit --compliance`: `offline` is None (online), "-" (the latest backups) or a DIR.
    Files handed over by an auditor need no inventory; when there is one, it names sites,
    roles, interface kinds and waivers."""
    inv: Inventory | None = None
    if offline in (None, "-") or inventory_path.exists():
        inv = load_inventory(inventory_path)
    if offline is None:
        return run_compliance(inv, limit=limit, platform=platform, forks=forks)
    directory = StatePaths.from_env(state_dir).backups if offline == "-" else Path(offline)
    return run_compliance(inv, offline=directory, limit=limit, platform=platform)


def write_report(text: str, output: Path | None) -> None:
    import click

    if output is None:
        click.echo(text)
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
