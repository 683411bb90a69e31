"""The `infra` command line: thin click commands over library functions.

Commands are imported only when run: `infra inventory validate` should not pay for importing
the compliance catalogue, the lab and the monitoring generators (a third of a second).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from infra import __version__
from infra.cli.common import Context, global_options

# command name -> "module:attribute"
COMMANDS = {
    "inventory": "infra.cli.inventory_cmd:inventory_group",
    "lab": "infra.cli.lab_cmd:lab_group",
    "monitoring": "infra.cli.monitoring_cmd:monitoring_group",
    "deploy": "infra.cli.deploy_cmd:deploy_cmd",
    "audit": "infra.cli.audit_cmd:audit_cmd",
    "history": "infra.cli.history_cmd:history_cmd",
    "render": "infra.cli.render_cmd:render_cmd",
    "exporter": "infra.cli.exporter_cmd:exporter_group",
    "vc": "infra.cli.vc_cmd:vc_group",
    "oncall": "infra.cli.oncall_cmd:oncall_group",
    "backup": "infra.cli.backup_cmd:backup_group",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported the first time they are asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@global_options
@click.version_option(__version__, prog_name="infra")
@click.pass_context
def cli(ctx: click.Context, inventory_path: Path, limit: str | None, fmt: str) -> None:
    """Deploy, audit and watch a provincial e-government's infrastructure from one inventory."""
    own_process = isinstance(ctx.obj, dict) and bool(ctx.obj.get("own_process"))
    ctx.obj = Context(inventory_path, limit, fmt, own_process=own_process)


def main() -> None:
    cli(prog_name="infra", obj={"own_process": True})
