"""`infra monitoring`: render Prometheus/Alertmanager/Grafana configuration, run it locally."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from infra.cli.common import (
    Context,
    F,
    UsageFailure,
    contacts_devices,
    emit_json,
    handle_errors,
    pass_ctx,
    table,
)
from infra.monitoring import RenderOptions, render_monitoring, write_monitoring
from infra.monitoring.journal_metrics import journal_metrics, write_textfile
from infra.monitoring.links import stack_links
from infra.monitoring.stack import Ports, StackError, start_stack, stop_stack
from infra.state import StatePaths

DURATION = re.compile(r"^\d+[sm]$")
HOST_PORT = re.compile(r"^[\w.-]+:\d{1,5}$")


def _checked(pattern: re.Pattern[str]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A callback: a value that does not match `pattern` is bad input (exit 2)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        del ctx
        if value is not None and not pattern.match(value):
            raise UsageFailure(f"{param.opts[-1]}: {value!r} is not valid")
        return value

    return check


def _address(name: str, default: str | None, help: str) -> Callable[[F], F]:
    """`--NAME HOST:PORT` of a service the rendered configuration points to."""
    return click.option(
        name, default=default, show_default=default is not None, help=help, callback=_checked(HOST_PORT)
    )


def _scrape_interval(default: str) -> Callable[[F], F]:
    return click.option("--scrape-interval", default=default, show_default=True, callback=_checked(DURATION))


def _port(name: str, default: int, help: str | None = None) -> Callable[[F], F]:
    """`--NAME-port N` where `monitoring up` starts a process on loopback."""
    return click.option(name, default=default, show_default=True, type=click.IntRange(1, 65535), help=help)


STACK_DIR = click.option(
    "--out",
    default=Path("/run/infra-monitoring"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="rendered config, data, logs and pid files",
)


@click.group("monitoring")
def monitoring_group() -> None:
    """Monitoring as code: Prometheus, Alertmanager, rules and dashboards from the inventory."""


@monitoring_group.command("render")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="output directory"
)
@click.option(
    "--shards", default=1, show_default=True, type=click.IntRange(1, 256), help="Prometheus shards (hashmod)"
)
@_address("--snmp-exporter", "127.0.0.1:9116", "HOST:PORT of infra-snmp-exporter")
@_address("--blackbox-exporter", "127.0.0.1:9115", "HOST:PORT of the blackbox exporter")
@_address("--wan-prober", None, "HOST:PORT of the blackbox exporter probing WAN-VPN endpoints [blackbox]")
@_address("--alertmanager", "127.0.0.1:9093", "HOST:PORT of Alertmanager")
@_scrape_interval("30s")
@click.option(
    "--webhook-url", default="http://127.0.0.1:9095/alerts", show_default=True, help="on-call webhook"
)
@click.option("--email-to", default=None, help="on-call e-mail [noc@<province domain>]")
@click.option("--runbook-base", default="docs/runbooks", show_default=True, help="URL prefix of the runbooks")
@click.option(
    "--fast-alerts",
    is_flag=True,
    hidden=True,
    help="lab tests and demos: root causes wait 5 s, their consequences 30-60 s",
)
@pass_ctx
@handle_errors
def render_cmd(ctx: Context, /, out: Path, scrape_interval: str, **options: Any) -> None:
    """Write prometheus.yml (or N shards + a global view), file_sd targets, rules, alertmanager.yml,
    exporter configs and Grafana dashboards into OUT."""
    # every other option is a RenderOptions field of the same name
    opts = RenderOptions(scrape_interval=scrape_interval, evaluation_interval=scrape_interval, **options)
    rendered = render_monitoring(ctx.inventory(), opts)
    try:
        write_monitoring(rendered, out)
    except OSError as exc:
        raise UsageFailure(f"{out}: cannot write: {exc.strerror}") from None
    rows = [{"file": p, "bytes": n} for p, n in sorted(rendered.sizes().items())]
    if ctx.fmt == "json":
        emit_json({"out": str(out), "files": rows})
    else:
        click.echo(table(rows))
        click.echo(f"\n{len(rows)} files written to {out}")


@monitoring_group.command("up")
@STACK_DIR
@_port("--prometheus-port", 19090)
@_port("--alertmanager-port", 19093)
@_port("--blackbox-port", 19115)
@_port("--snmp-exporter-port", 19116)
@_port("--sip-probe-port", 19117, "infra-sip-probe (VC registrations), when the inventory has a VC system")
@_port("--oncall-port", 19180, "the on-call board")
@click.option(
    "--shards",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Prometheus shards: shard i listens on the Prometheus port + 1 + i, the global one on "
    "--prometheus-port",
)
@click.option("--webhook-url", default=None, help="on-call webhook Alertmanager posts to")
@_scrape_interval("15s")
@click.option(
    "--fast-alerts",
    is_flag=True,
    help="root causes wait 5 s, their consequences 30-60 s (demos and lab tests)",
)
@pass_ctx
@handle_errors
@contacts_devices()
def up_cmd(
    ctx: Context,
    out: Path,
    prometheus_port: int,
    alertmanager_port: int,
    blackbox_port: int,
    snmp_exporter_port: int,
    sip_probe_port: int,
    oncall_port: int,
    shards: int,
    webhook_url: str | None,
    scrape_interval: str,
    fast_alerts: bool,
) -> None:
    """Start Prometheus (or N shards and the global view), Alertmanager, the blackbox exporter,
    infra-snmp-exporter and the on-call board on loopback with the rendered configuration (and the
    lab's stand-ins when the lab is up)."""
    ports = Ports(
        prometheus_port, alertmanager_port, blackbox_port, snmp_exporter_port, sip_probe_port, oncall_port
    )
    try:
        stack = start_stack(
            ctx.inventory(), out, ports, fast_alerts, webhook_url, scrape_interval, shards=shards
        )
    except StackError as exc:
        raise UsageFailure(str(exc)) from None
    if ctx.fmt == "json":
        emit_json({"out": str(out), "urls": stack.urls, "pids": stack.pids, "links": stack_links(stack)})
        return
    for what, url in stack_links(stack).items():  # the board first: what on-call opens
        click.echo(f"{what:<14}{url}")
    click.echo("")
    click.echo(table([{"process": n, "url": stack.urls.get(n, ""), "pid": p} for n, p in stack.pids.items()]))
    click.echo(f"\n{'Config, logs':<14}{out}\n{'Stop it with':<14}infra monitoring down --out {out}")


@monitoring_group.command("down")
@STACK_DIR
@pass_ctx
def down_cmd(ctx: Context, out: Path) -> None:
    """Stop the processes `infra monitoring up` started (by their pid files)."""
    stopped = stop_stack(out)
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@monitoring_group.command("journal-metrics")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="textfile (*.prom)"
)
@click.option(
    "--journal", type=click.Path(dir_okay=False, path_type=Path), default=None, help="[state journal]"
)
def journal_metrics_cmd(out: Path, journal: Path | None) -> None:
    """Write the last deploy/backup runs from the journal as metrics for node exporter (textfile)."""
    path = journal or StatePaths.from_env().journal
    try:
        write_textfile(journal_metrics(path), out)
    except (OSError, sqlite3.Error) as exc:
        raise UsageFailure(f"{path} -> {out}: {exc}") from None
    click.echo(f"wrote {out}")
