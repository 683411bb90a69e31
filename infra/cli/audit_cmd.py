"""`infra audit`: drift between intended and running configs, or with --compliance the findings
against the security baseline.

Exit codes: 0 nothing found, 1 a device could not be read, 2 bad input, 3 drift found (with
--compliance: a finding at or above --fail-on).
Each kind of drift audit contributes `Check`s (infra/audit/report.py); the rendering is shared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from infra.audit.compliance import (
    CatalogueError,
    ComplianceInputError,
    Severity,
    render_compliance,
    run_compliance_cli,
    write_report,
)
from infra.audit.drift import audit_drift
from infra.audit.report import Check, render
from infra.audit.servers import audit_server_drift
from infra.cli import common
from infra.cli.common import Context, UsageFailure, contacts_devices, handle_errors, pass_ctx
from infra.state import StatePaths

EXIT_OK, EXIT_ERROR, EXIT_FOUND = 0, 1, 3


def exit_code(checks: list[Check]) -> int:
    if any(c.status == "error" for c in checks):
        return EXIT_ERROR
    return EXIT_FOUND if any(c.status == "fail" for c in checks) else EXIT_OK


@click.command("audit")
@common.limit_option()
@click.option(
    "--offline",
    is_flag=False,
    flag_value="-",
    default=None,
    metavar="[DIR]",
    help="read the latest backups instead of the devices (--compliance: or the configurations in DIR)",
)
@click.option("--compliance", is_flag=True, help="check the security baseline (docs/compliance.md)")
@click.option("--platform", default=None, help="--compliance: platform of every file (default: from content)")
@click.option(
    "--fail-on",
    type=click.Choice(["high", "medium", "low"]),
    default="low",
    show_default=True,
    help="--compliance: exit 3 when a finding is at or above this severity",
)
@common.forks_option()
@common.state_dir_option()
@common.format_option("table", "json", "junit", "html", "sarif")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="write the report here")
@pass_ctx
@handle_errors
@contacts_devices(when=lambda p: p["offline"] is None and not p["compliance"])  # compliance: online_jobs
def audit_cmd(
    ctx: Context,
    limit: str | None,
    offline: str | None,
    compliance: bool,
    platform: str | None,
    fail_on: str,
    forks: int,
    paths: StatePaths,
    fmt: str,
    output: Path | None,
) -> None:
    """Report, per device, the difference between intended and running configuration;
    with --compliance, the findings against the security baseline (docs/compliance.md)."""
    if compliance:
        try:
            report = run_compliance_cli(ctx.inventory_path, offline, limit, platform, paths.root, forks)
        except (ComplianceInputError, CatalogueError) as exc:
            raise UsageFailure(str(exc)) from None
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        write_report(render_compliance(report, fmt), output)
        sys.exit(EXIT_FOUND if report.fails_at(Severity(fail_on)) else EXIT_OK)
    if fmt in ("html", "sarif"):
        raise UsageFailure(f"--format {fmt} is for --compliance; drift reports as table, json or junit")
    if offline not in (None, "-"):
        raise UsageFailure(f"--offline {offline}: drift compares with the backups; a DIR is for --compliance")
    inv = ctx.inventory()
    hosts = ctx.selected(limit)
    checks = audit_drift(inv, hosts, paths, offline=offline is not None, forks=forks)
    if offline is None:  # servers: the playbooks in Ansible's check mode (no offline source)
        checks += audit_server_drift(inv, hosts, forks=forks)
    if not checks:
        raise UsageFailure(f"--limit {limit!r} matches no network device or server")
    text = render(checks, fmt, {"mode": "offline" if offline else "online"})
    if output:
        output.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    else:
        click.echo(text)
    if fmt == "table" and not output:
        for c in checks:
            if c.detail:
                click.echo(f"\n--- {c.host}\n{c.detail}")
    sys.exit(exit_code(checks))
