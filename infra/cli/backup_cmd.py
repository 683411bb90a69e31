"""`infra backup`: every device's configuration into the backup repository, and its history.

Skeleton (issue 15): the group and where each part lives. The run, `log`, `diff` and `show`
are filled in here; `restore` lives in backup_restore_cmd.py.
"""

from __future__ import annotations

import click

from infra.cli.backup_restore_cmd import restore_cmd


@click.group("backup", invoke_without_command=True)
@click.pass_context
def backup_group(click_ctx: click.Context) -> None:
    """Back up every device's configuration (no subcommand), or read and restore the backups."""
    if click_ctx.invoked_subcommand is None:
        raise click.UsageError("infra backup: not built yet")


backup_group.add_command(restore_cmd)
