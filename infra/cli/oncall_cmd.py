"""`infra oncall serve`: the on-call board, a web application over Prometheus, Alertmanager,
the inventory and the journal."""

from __future__ import annotations

import dataclasses
import ipaddress
import re

import click

from infra.cli.common import Context, UsageFailure, handle_errors, pass_ctx

LISTEN = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[\w.-]+):(?P<port>\d{1,5})$")


def parse_listen(value: str) -> tuple[str, int]:
    m = LISTEN.match(value)
    if not m or not 0 < int(m["port"]) < 65536:
        raise UsageFailure(f"--listen: {value!r} is not HOST:PORT")
    return m["host"].strip("[]"), int(m["port"])


def parse_networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise UsageFailure(f"--read-without-login: {exc}") from None


def parse_url(value: str, what: str) -> str:
    if not re.match(r"^https?://[\w.\-\[\]:]+(/[\w./-]*)?$", value):
        raise UsageFailure(f"{what}: {value!r} is not an http(s) URL")
    return value.rstrip("/")


@click.group("oncall")
def oncall_group() -> None:
    """The on-call board: what broke, where, why, and what changed."""


@oncall_group.command("serve")
@click.option("--listen", default="127.0.0.1:9180", show_default=True, help="HOST:PORT to serve the board on")
@click.option(
    "--prometheus", default="http://127.0.0.1:9090", show_default=True, help="Prometheus (global) URL"
)
@click.option("--alertmanager", default="http://127.0.0.1:9093", show_default=True, help="Alertmanager URL")
@click.option(
    "--shard-prometheus",
    multiple=True,
    metavar="URL",
    help="a shard Prometheus behind the global one (repeat): the device page reads raw series there",
)
@click.option(
    "--read-without-login",
    multiple=True,
    metavar="CIDR",
    help="networks that read without a login [the inventory's oncall.read_without_login, else 127.0.0.0/8]",
)
@click.option(
    "--refresh", default=5, show_default=True, type=click.IntRange(1, 60), help="seconds between updates"
)
@pass_ctx
@handle_errors
def serve_cmd(
    ctx: Context,
    listen: str,
    prometheus: str,
    alertmanager: str,
    shard_prometheus: tuple[str, ...],
    read_without_login: tuple[str, ...],
    refresh: int,
) -> None:
    """Serve the board (Ctrl-C stops it)."""
    import uvicorn

    from infra.oncall.app import create_app
    from infra.oncall.auth import access_settings
    from infra.oncall.settings import BoardSettings
    from infra.state import StatePaths

    host, port = parse_listen(listen)
    inv = ctx.inventory()
    settings = BoardSettings(
        inventory=inv,
        prometheus_url=parse_url(prometheus, "--prometheus"),
        alertmanager_url=parse_url(alertmanager, "--alertmanager"),
        state=StatePaths.from_env(),
        refresh_seconds=refresh,
        shard_urls=tuple(parse_url(u, "--shard-prometheus") for u in shard_prometheus),
        **access_settings(inv),  # users, session key (vault), read_without_login of the inventory
    )
    if read_without_login:
        settings = dataclasses.replace(settings, read_networks=parse_networks(read_without_login))
    click.echo(f"on-call board on http://{listen}/ (Prometheus {prometheus}, Alertmanager {alertmanager})")
    try:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # The client address decides who reads without a login: never take it from a header.
            proxy_headers=False,
        )
    except OSError as exc:
        raise UsageFailure(f"--listen {listen}: {exc.strerror or exc}") from None
