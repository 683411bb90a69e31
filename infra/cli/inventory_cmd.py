"""`infra inventory ...`: validate, list, show, graph, generate."""

from __future__ import annotations

from pathlib import Path

import click

from infra.cli.common import Context, UsageFailure, emit_json, handle_errors, pass_ctx, table
from infra.inventory import report
from infra.inventory.generate import Shape, generate


@click.group("inventory")
def inventory_group() -> None:
    """The province inventory: the single source of truth."""


@inventory_group.command("validate")
@pass_ctx
@handle_errors
def validate_cmd(ctx: Context) -> None:
    """Load and check the inventory; print its summary. Exit 2 when it is broken."""
    inv = ctx.inventory()
    data = report.summary(inv)
    if ctx.fmt == "json":
        emit_json({"valid": True, **data})
        return
    click.echo(f"inventory {ctx.inventory_path} is valid")
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        click.echo(f"  {key.replace('_', ' '):<16} {value}")


@inventory_group.command("list")
@pass_ctx
@handle_errors
def list_cmd(ctx: Context) -> None:
    """List hosts (with --limit) with role, site, platform and management address."""
    rows = [report.host_row(h) for h in ctx.selected()]
    if ctx.fmt == "json":
        emit_json(rows)
    else:
        click.echo(table(rows))


@inventory_group.command("show")
@click.argument("host")
@pass_ctx
@handle_errors
def show_cmd(ctx: Context, host: str) -> None:
    """Everything known of HOST: variables, derived interfaces, BGP sessions. Secrets are masked."""
    inv = ctx.inventory()
    if host not in inv.hosts:
        raise UsageFailure(f"host {host!r} is not in the inventory")
    data = report.host_detail(inv, host)
    if ctx.fmt == "json":
        emit_json(data)
        return
    interfaces = data.pop("interfaces")
    sessions = data.pop("bgp_sessions")
    for k, v in data.items():
        click.echo(f"{k:<20} {v}")
    click.echo("\ninterfaces:")
    click.echo(table(interfaces))
    if sessions:
        click.echo("\nBGP sessions:")
        click.echo(table(sessions))


@inventory_group.command("graph")
@click.option(
    "--graph-format", "graph_format", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="write to a file")
@pass_ctx
@handle_errors
def graph_cmd(ctx: Context, graph_format: str, output: Path | None) -> None:
    """Sites, links and WAN-VPN tunnels as Graphviz DOT or Mermaid."""
    text = report.graph(ctx.inventory(), graph_format)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@inventory_group.command("generate")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--departments", default=10, show_default=True, type=click.IntRange(0, 5000))
@click.option("--communes", default=10, show_default=True, type=click.IntRange(0, 5000))
@click.option("--access-switches", default=4, show_default=True, type=click.IntRange(0, 2000))
@click.option("--campus-units", default=8, show_default=True, type=click.IntRange(0, 2000))
@click.option("--vc-endpoints", default=6, show_default=True, type=click.IntRange(0, 5000))
@click.option(
    "--app-servers",
    default=0,
    show_default=True,
    type=click.IntRange(0, 200),
    help="application servers beyond the nine every province has",
)
@click.option("--name", default="Synthetic province", show_default=True)
def generate_cmd(
    out: Path,
    departments: int,
    communes: int,
    access_switches: int,
    campus_units: int,
    vc_endpoints: int,
    app_servers: int,
    name: str,
) -> None:
    """Write a valid synthetic province of any size (for scale tests)."""
    if out.exists() and any(out.iterdir()):
        raise UsageFailure(f"{out} exists and is not empty; choose a new directory")
    n = generate(
        out,
        Shape(departments, communes, access_switches, campus_units, vc_endpoints, app_servers=app_servers),
        name,
        lab=False,
    )
    click.echo(f"wrote a province of {n} hosts to {out}")
