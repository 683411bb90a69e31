"""`infra render`: each network device's (and codec's) intended configuration, from the inventory."""

from __future__ import annotations

import os
from pathlib import Path

import click

from infra.cli import common
from infra.cli.common import Context, UsageFailure, emit_json, handle_errors, pass_ctx, table
from infra.inventory import Platform
from infra.inventory.models import NETWORK_PLATFORMS
from infra.render import RenderError, render_all, renders
from infra.render.codec import CODEC_PLATFORMS

PLATFORMS = sorted(p.value for p in NETWORK_PLATFORMS | CODEC_PLATFORMS)


def _write(path: Path, text: str, private: bool) -> None:
    """Write one config file; with real secrets in it, only its owner may read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    if private:
        path.chmod(0o600)


@click.command("render")
@common.limit_option()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="write <OUT>/<host>.cfg per device and print a table (default: print the configurations)",
)
@click.option(
    "--platform",
    type=click.Choice(PLATFORMS),
    default=None,
    help="render for this platform instead of the one that runs the device (lab: FRR)",
)
@click.option(
    "--with-secrets",
    is_flag=True,
    help="write real secret values (only with --out; files are mode 0600). Default: <secret>",
)
@pass_ctx
@handle_errors
def render_cmd(
    ctx: Context, limit: str | None, out: Path | None, platform: str | None, with_secrets: bool
) -> None:
    """Render the intended configuration of each selected network device and codec.

    Secrets print as <secret> unless --with-secrets is given together with --out.
    """
    if with_secrets and out is None:
        raise UsageFailure("--with-secrets writes files only: give --out DIR")
    inv = ctx.inventory()
    hosts = [h for h in ctx.selected(limit) if renders(h, Platform(platform) if platform else None)]
    if not hosts:
        what = f"{platform} device" if platform else "network device or codec"
        raise UsageFailure(f"no {what} matches the selection")
    try:
        configs = render_all(
            inv, hosts, Platform(platform) if platform else None, mask_secrets=not with_secrets
        )
    except RenderError as exc:
        raise UsageFailure(str(exc)) from None
    if out is None:
        if ctx.fmt == "json":
            emit_json([{"host": h.name, "config": configs[h.name]} for h in hosts])
            return
        for n, h in enumerate(hosts):
            if len(hosts) > 1:
                click.echo(f"{'' if n == 0 else chr(10)}!! ===== {h.name} =====")
            click.echo(configs[h.name], nl=False)
        return
    rows = []
    for h in hosts:
        path = out / f"{h.name}.cfg"
        _write(path, configs[h.name], private=with_secrets)
        rows.append(
            {
                "host": h.name,
                "platform": platform or inv.stand_in_platform(h).value,
                "lines": configs[h.name].count("\n"),
                "file": str(path),
            }
        )
    if ctx.fmt == "json":
        emit_json(rows)
    else:
        click.echo(table(rows))
        secrets = "real secrets" if with_secrets else "secrets masked"
        click.echo(f"{len(rows)} configurations written to {out} ({secrets})")
