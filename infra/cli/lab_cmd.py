"""`infra lab`: bring the province up in network namespaces, show it, run commands in it, tear it down."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from infra.cli import common
from infra.cli.common import Context, UsageFailure, emit_json, handle_errors, pass_ctx, table
from infra.lab import LabError, NodeStatus, build_plan, lab_down, lab_exec, lab_status, lab_up
from infra.lab.lock import in_use_by_tests
from infra.lab.snmprec import serve_modified_recording
from infra.lab.up import apply_converged
from infra.lab.vagrant import TOPOLOGY_FILE, write_topology


def _status_rows(statuses: list[NodeStatus]) -> list[dict[str, object]]:
    return [s.as_row() for s in statuses]


@click.group("lab")
def lab_group() -> None:
    """The province built for real in network namespaces on this machine (needs root)."""


@lab_group.command("up")
@common.limit_option()
@click.option(
    "--converged", is_flag=True, help="also apply each router's rendered intent (demos, monitoring)"
)
@click.option("--wait", default=60.0, show_default=True, help="seconds to wait for SSH/SNMP (0: do not wait)")
@pass_ctx
@handle_errors
def up_cmd(ctx: Context, limit: str | None, converged: bool, wait: float) -> None:
    """Build the lab, or repair what is missing (idempotent)."""
    try:
        report = lab_up(ctx.inventory(), limit, wait=wait)
        if converged:
            apply_converged(ctx.inventory(), report.plan)
    except LabError as exc:
        raise UsageFailure(str(exc)) from None
    if ctx.fmt == "json":
        emit_json(
            {
                "seconds": round(report.seconds, 2),
                "created": report.created,
                "nodes": _status_rows(report.status),
                "problems": report.problems,
            }
        )
    else:
        if report.status:
            click.echo(table(_status_rows(report.status)))
        click.echo(
            f"lab up: {len(report.plan.nodes)} nodes ({len(report.created)} created) "
            f"in {report.seconds:.1f} s"
        )
        for p in report.problems:
            click.echo(f"warning: {p}", err=True)
    if report.status and not all(s.ready for s in report.status):
        sys.exit(1)


@lab_group.command("down")
@click.option("--force", is_flag=True, help="even while a pytest session is using the lab")
@pass_ctx
def down_cmd(ctx: Context, force: bool) -> None:
    """Remove every namespace, link, mount, route, process and file of the lab."""
    if not force and in_use_by_tests():
        raise UsageFailure(
            "a pytest session is using the lab (/run/infra-lab.tests.lock); wait, or use --force"
        )
    try:
        r = lab_down()
    except LabError as exc:
        raise UsageFailure(str(exc)) from None
    if ctx.fmt == "json":
        emit_json(r.__dict__)
    else:
        click.echo(
            f"lab down: {r.namespaces} namespaces, {r.processes} processes, {r.links} links, "
            f"{r.mounts} mounts removed in {r.seconds:.1f} s"
        )


@lab_group.command("status")
@common.format_option()
@pass_ctx
@handle_errors
def status_cmd(ctx: Context, fmt: str) -> None:
    """Each node, its daemons, and whether SSH and SNMP answer on its management address."""
    inv = ctx.inventory()
    try:
        rows = _status_rows(lab_status(inv, build_plan(inv, ctx.limit)))
    except LabError as exc:
        raise UsageFailure(str(exc)) from None
    if fmt == "json":
        emit_json(rows)
    else:
        click.echo(table(rows, ["node", "kind", "mgmt", "present", "daemons", "ssh", "snmp"]))


@lab_group.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("node")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def exec_cmd(node: str, command: tuple[str, ...]) -> None:
    """Run COMMAND inside NODE: infra lab exec dc-core-1 -- vtysh -c 'show ip route'."""
    try:
        sys.exit(lab_exec(node, command))
    except LabError as exc:
        raise UsageFailure(str(exc)) from None


@lab_group.command("snmprec")
@click.argument("node")
@click.option("--set", "changes", multiple=True, metavar="OID=TAG:VALUE", help="change or add a record")
@click.option("--reset", is_flag=True, help="serve the original recording again")
@pass_ctx
@handle_errors
def snmprec_cmd(ctx: Context, node: str, changes: tuple[str, ...], reset: bool) -> None:
    """Serve a modified copy of a facility device's recording (restarts its snmpd)."""
    try:
        n = serve_modified_recording(ctx.inventory(), node, list(changes), reset=reset)
    except LabError as exc:
        raise UsageFailure(str(exc)) from None
    click.echo(f"{node}: serving {n} records")


@lab_group.command("vagrant-topology")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=TOPOLOGY_FILE, show_default=True)
@pass_ctx
@handle_errors
def vagrant_topology_cmd(ctx: Context, output: Path) -> None:
    """Write the topology the Vagrantfile reads (the same province on VMs)."""
    changed = write_topology(ctx.inventory(), output)
    click.echo(f"{output}: {'written' if changed else 'up to date'}")
