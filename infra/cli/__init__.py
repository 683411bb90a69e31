"""The `infra` command line: thin click commands over library functions."""

from __future__ import annotations

import os
from pathlib import Path

import click

from infra import __version__
from infra.cli.audit_cmd import audit_cmd
from infra.cli.common import Context
from infra.cli.deploy_cmd import deploy_cmd
from infra.cli.exporter_cmd import exporter_group
from infra.cli.history_cmd import history_cmd
from infra.cli.inventory_cmd import inventory_group
from infra.cli.lab_cmd import lab_group
from infra.cli.monitoring_cmd import monitoring_group
from infra.cli.render_cmd import render_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-i",
    "--inventory",
    "inventory_path",
    type=click.Path(path_type=Path),
    default=lambda: os.environ.get("INFRA_INVENTORY", "inventory"),
    show_default="./inventory or $INFRA_INVENTORY",
    help="the province inventory (an Ansible YAML inventory directory)",
)
@click.option(
    "-l", "--limit", default=None, help="Ansible host pattern: groups, hosts, globs, a:b, a:&b, a:!b"
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.version_option(__version__, prog_name="infra")
@click.pass_context
def cli(ctx: click.Context, inventory_path: Path, limit: str | None, fmt: str) -> None:
    """Deploy, audit and watch a provincial e-government's infrastructure from one inventory."""
    ctx.obj = Context(inventory_path, limit, fmt)


cli.add_command(inventory_group)
cli.add_command(lab_group)
cli.add_command(monitoring_group)
cli.add_command(deploy_cmd)
cli.add_command(audit_cmd)
cli.add_command(history_cmd)
cli.add_command(render_cmd)
cli.add_command(exporter_group)


def main() -> None:
    cli(prog_name="infra")
