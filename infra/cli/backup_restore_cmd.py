"""`infra backup restore`: a past configuration back onto a device through the deploy machinery,
or a server's data from its restic snapshot (`--server`)."""

from __future__ import annotations

import click


@click.command("restore")
def restore_cmd() -> None:
    """Restore a device's configuration or a server's data from a backup."""
    raise click.UsageError("infra backup restore: not built yet")
