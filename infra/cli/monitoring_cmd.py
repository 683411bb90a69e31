"""`infra monitoring`: render Prometheus/Alertmanager/Grafana configuration, run it locally."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import click

from infra.cli.common import (
    Context,
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


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise UsageFailure(f"{what}: {value!r} is not valid")
    return value


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
@click.option(
    "--snmp-exporter", default="127.0.0.1:9116", show_default=True, help="HOST:PORT of infra-snmp-exporter"
)
@click.option(
    "--blackbox-exporter",
    default="127.0.0.1:9115",
    show_default=True,
    help="HOST:PORT of the blackbox exporter",
)
@click.option(
    "--wan-prober",
    default=None,
    help="HOST:PORT of the blackbox exporter probing WAN-VPN endpoints [blackbox]",
)
@click.option("--alertmanager", default="127.0.0.1:9093", show_default=True, help="HOST:PORT of Alertmanager")
@click.option("--scrape-interval", default="30s", show_default=True)
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
def render_cmd(
    ctx: Context,
    out: Path,
    shards: int,
    snmp_exporter: str,
    blackbox_exporter: str,
    wan_prober: str | None,
    alertmanager: str,
    scrape_interval: str,
    webhook_url: str,
    email_to: str | None,
    runbook_base: str,
    fast_alerts: bool,
) -> None:
    """Write prometheus.yml (or N shards + a global view), file_sd targets, rules, alertmanager.yml,
    exporter configs and Grafana dashboards into OUT."""
    for value, what in ((snmp_exporter, "--snmp-exporter"), (blackbox_exporter, "--blackbox-exporter"),
                        (alertmanager, "--alertmanager"), (wan_prober or "x:1", "--wan-prober")):  # fmt: skip
        _check(value, HOST_PORT, what)
    _check(scrape_interval, DURATION, "--scrape-interval")
    opts = RenderOptions(
        snmp_exporter=snmp_exporter,
        blackbox_exporter=blackbox_exporter,
        wan_prober=wan_prober,
        alertmanager=alertmanager,
        scrape_interval=scrape_interval,
        evaluation_interval=scrape_interval,
        shards=shards,
        webhook_url=webhook_url,
        email_to=email_to,
        runbook_base=runbook_base,
        fast_alerts=fast_alerts,
    )
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
@click.option(
    "--out",
    default=Path("/run/infra-monitoring"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="rendered config, data, logs and pid files",
)
@click.option("--prometheus-port", default=19090, show_default=True, type=click.IntRange(1, 65535))
@click.option("--alertmanager-port", default=19093, show_default=True, type=click.IntRange(1, 65535))
@click.option("--blackbox-port", default=19115, show_default=True, type=click.IntRange(1, 65535))
@click.option("--snmp-exporter-port", default=19116, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--sip-probe-port",
    default=19117,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="infra-sip-probe (VC registrations), when the inventory has a VC system",
)
@click.option(
    "--oncall-port", default=19180, show_default=True, type=click.IntRange(1, 65535), help="the on-call board"
)
@click.option(
    "--shards",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Prometheus shards: shard i listens on the Prometheus port + 1 + i, the global one on "
    "--prometheus-port",
)
@click.option("--webhook-url", default=None, help="on-call webhook Alertmanager posts to")
@click.option("--scrape-interval", default="15s", show_default=True)
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
    _check(scrape_interval, DURATION, "--scrape-interval")
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
@click.option(
    "--out",
    default=Path("/run/infra-monitoring"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
)
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
