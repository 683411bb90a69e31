"""`infra deploy`: push intended configs to network devices, safely. Exit codes:

0 success (or nothing to change), 1 a device failed / was rolled back / is unreachable,
2 bad input, 3 changes pending (`--check`), 130 interrupted (Ctrl-C, SIGTERM, SIGHUP: no device
started after the signal, every device already changing was taken to a safe point first).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NoReturn

import click

from infra.cli import common
from infra.cli.common import Context, UsageFailure, contacts_devices, emit_json, handle_errors, pass_ctx
from infra.deploy import DeployOptions, DeployReport, OptionError, deploy, parse_duration
from infra.deploy.interrupt import interruptible
from infra.deploy.options import batches
from infra.deploy.runstate import DeployRun
from infra.inventory.models import Role
from infra.results import Progress
from infra.state import StatePaths


def progress_printer(enabled: bool) -> Progress | None:
    """Per-device progress lines on stderr. A closed terminal (SIGHUP) does not stop the run."""
    if not enabled:
        return None

    def show(host: str, step: str) -> None:
        with contextlib.suppress(OSError):
            if step.startswith("done:"):
                click.echo(f"  {host:<24} {step[5:]}", err=True)
            elif step in ("push", "verify", "rollback", "save"):
                click.echo(f"  {host:<24} {step} ...", err=True)

    return show


def print_report(report: DeployReport, show_diff: bool) -> None:
    for r in report.results.results.values():
        line = f"{r.status.value:<12} {r.host:<24} {r.duration_s:6.1f}s  {r.message}"
        click.secho(line, fg={"ok": None, "changed": "yellow", "skipped": "cyan"}.get(r.status.value, "red"))
        if show_diff and r.diff:
            click.echo("    --- diff (running -> intended)")
            click.echo("\n".join("    " + x for x in r.diff.splitlines()))
            click.echo("    --- remediation")
            click.echo("\n".join("    " + x for x in r.details.get("remediation", [])))
    c = report.results.counts()
    summary = ", ".join(f"{n} {k}" for k, n in c.items() if n)
    click.echo(
        f"run {report.run_id}: {summary or 'no hosts'}" + (f" [{report.stopped}]" if report.stopped else "")
    )
    if report.backup_commit:
        click.echo(f"backups: commit {report.backup_commit[:12]}")


def run_and_report(
    start: Callable[..., DeployReport], progress: bool | None, fmt: str, show: Callable[[DeployReport], None]
) -> NoReturn:
    """Run a deploy (or a restore: `start(progress=, stop=, on_start=)`) so that Ctrl-C, SIGTERM
    or SIGHUP start no more devices and take each one already changing to a safe point, print its
    report with `show`, and exit with the report's code. Progress on stderr: `progress`, else when
    stderr is a terminal and the output is not JSON."""
    stop, started = threading.Event(), list[DeployRun]()
    show_progress = sys.stderr.isatty() and fmt != "json" if progress is None else progress
    with interruptible(stop, lambda: started[0].unsafe() if started else {}):
        report = start(progress=progress_printer(show_progress), stop=stop, on_start=started.append)
        # still within: a late Ctrl-C while the report prints is told, not a traceback
        with contextlib.suppress(OSError):  # a closed terminal (SIGHUP): the journal has it all
            show(report)
    sys.exit(report.exit_code)


@click.command("deploy")
@common.limit_option()
@click.option(
    "--check", is_flag=True, help="touch nothing: show what would change (exit 3 if anything would)"
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="show the unified diff and the remediation per device"
)
@common.forks_option()
@click.option("--serial", default=None, help="batch size: N devices or N% of them per batch")
@click.option(
    "--max-fail-percentage",
    type=click.FloatRange(0, 100),
    default=None,
    help="stop starting devices once more than P% of a batch failed",
)
@click.option(
    "--confirm-timeout",
    default="2m",
    show_default=True,
    help="revert timer: unconfirmed changes are rolled back after this long (90s, 2m)",
)
@click.option("--comment", default="", help="why: stored in the journal and the backup commit")
@click.option(
    "--only",
    type=click.Choice(["all", "network", "servers", "codecs"]),
    default="all",
    show_default=True,
    help="network devices, Linux servers or video-conference codecs (all: in that order)",
)
@click.option("--tags", default=None, help="servers: only the Ansible tasks with these tags (a,b)")
@common.state_dir_option()
@click.option(
    "--session-log-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="write each device's Netmiko session log here (secrets masked)",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="per-device steps on stderr (default: when stderr is a terminal)",
)
@common.format_option()
@pass_ctx
@handle_errors
@contacts_devices()
def deploy_cmd(
    ctx: Context,
    limit: str | None,
    check: bool,
    show_diff: bool,
    forks: int,
    serial: str | None,
    max_fail_percentage: float | None,
    confirm_timeout: str,
    comment: str,
    only: str,
    tags: str | None,
    paths: StatePaths,
    session_log_dir: Path | None,
    progress: bool | None,
    fmt: str,
) -> None:
    """Back up, diff, push only the remediation, verify, confirm and save, device by device in
    parallel; anything that fails after the push is restored from the backup automatically."""
    try:
        options = DeployOptions(
            check=check,
            diff=show_diff,
            forks=forks,
            serial=serial,
            max_fail_percentage=max_fail_percentage,
            confirm_timeout_s=parse_duration(confirm_timeout),
            comment=comment,
            session_log_dir=session_log_dir,
            command="infra " + " ".join(sys.argv[1:]),
        )
        batches(["probe"], serial)  # validate --serial before touching anything
    except OptionError as exc:
        raise UsageFailure(str(exc)) from None
    inv = ctx.inventory()
    hosts = ctx.selected(limit)
    if only == "network":
        hosts = [h for h in hosts if h.is_network_device]
    elif only == "servers":
        hosts = [h for h in hosts if h.is_server]
    elif only == "codecs":
        hosts = [h for h in hosts if h.role == Role.VC_ENDPOINT]
    if not hosts:
        raise UsageFailure(f"--limit {limit!r} matches no host to deploy")
    if session_log_dir:
        session_log_dir.mkdir(parents=True, exist_ok=True)
    from infra.ansible import converge_servers  # servers: the site playbook via ansible-runner

    servers = partial(converge_servers, tags=tags.split(",") if tags else None, forks=forks)

    def show(report: DeployReport) -> None:
        if fmt == "json":
            emit_json(report.as_dict())
        else:
            print_report(report, show_diff)

    run_and_report(partial(deploy, inv, hosts, options, paths, servers=servers), progress, fmt, show)
