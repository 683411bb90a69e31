"""`infra backup`: every device's configuration into the backup repository, and its history.

    infra backup [-l LIMIT] [-f N] [--comment TEXT] [--servers]   pull, mask, one commit per run
    infra backup log HOST                                          the commits that changed HOST
    infra backup diff HOST [REV [REV]]                             its last change, or between two
    infra backup show HOST [--at REV|DATE] [--startup]             its config then (or now)

Exit codes of the run: 0 every device read (changed or not), 1 a device unreachable or failed
or the off-site push failed (the others are committed all the same), 2 bad input.
`restore` lives in backup_restore_cmd.py.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from datetime import datetime

import click

from infra.backup.pull import BackupOptions, BackupReport, back_up, backup_targets
from infra.cli import common
from infra.cli.backup_restore_cmd import restore_cmd
from infra.cli.common import Context, UsageFailure, contacts_devices, emit_json, handle_errors, pass_ctx
from infra.deploy.interrupt import interruptible
from infra.state import StatePaths
from infra.state.backups import BackupError, BackupRepo


def _running_the_backup(params: dict[str, object]) -> bool:
    del params
    return click.get_current_context().invoked_subcommand is None


@click.group("backup", invoke_without_command=True)
@common.limit_option()
@common.forks_option()
@click.option("--comment", default="", help="why: stored in the journal and the backup commit")
@click.option("--servers", is_flag=True, help="also back up the selected servers' data (restic)")
@common.state_dir_option()
@click.option(
    "--progress/--no-progress", default=None, help="one line per device on stderr (default: on a terminal)"
)
@common.format_option()
@pass_ctx
@handle_errors
@contacts_devices(_running_the_backup)
def backup_group(
    ctx: Context,
    limit: str | None,
    forks: int,
    comment: str,
    servers: bool,
    paths: StatePaths,
    progress: bool | None,
    fmt: str,
) -> None:
    """Back up every device's configuration (no subcommand), or read and restore the backups."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    inv = ctx.inventory()
    hosts = ctx.selected(limit)
    if not backup_targets(inv, hosts) and not (servers and any(h.is_server for h in hosts)):
        what = "device or server" if servers else "device (servers: --servers)"
        raise UsageFailure(f"--limit {limit!r} matches no {what} to back up")
    show = sys.stderr.isatty() and fmt != "json" if progress is None else progress

    def progress_line(host: str, status: str) -> None:
        with contextlib.suppress(OSError):
            click.echo(f"  {host:<24} {status}", err=True)

    stop = threading.Event()
    # Ctrl-C, SIGTERM (systemd stopping the timer's run) or a closed terminal: no device starts
    # after it, what was read is committed, the journal says `interrupted`, exit 130.
    with interruptible(stop, dict):
        report = back_up(
            inv,
            hosts,
            paths,
            BackupOptions(
                forks=forks, comment=comment, command="infra " + " ".join(sys.argv[1:]), servers=servers
            ),
            progress=progress_line if show else None,
            stop=stop,
        )
        with contextlib.suppress(OSError):  # a closed terminal: the journal has it all
            if fmt == "json":
                emit_json(report.as_dict())
            else:
                print_report(report)
    sys.exit(report.exit_code)


def print_report(report: BackupReport) -> None:
    """Changed and failed hosts, one line each (unchanged ones only counted), then the summary."""
    for r in report.results.results.values():
        if r.ok and not r.changed and not r.skipped:
            continue
        colour = {"changed": "yellow", "skipped": "cyan"}.get(r.status.value, "red")
        click.secho(f"{r.status.value:<12} {r.host:<24} {r.duration_s:6.1f}s  {r.message}", fg=colour)
    c = report.results.counts()
    summary = ", ".join(f"{n} {k}" for k, n in c.items() if n)
    click.echo(f"run {report.run_id}: {summary or 'no hosts'}")
    if report.commit:
        click.echo(f"backups: commit {report.commit[:12]} ({len(report.changed)} changed)")
    else:
        click.echo("backups: nothing changed, no commit")
    if report.outside:
        click.secho(f"changed outside infra: {', '.join(report.outside)}", fg="yellow")
    if report.interrupted:
        not_started = sum(1 for r in report.results.results.values() if r.skipped)
        click.secho(f"interrupted: {not_started} not started; what was read is committed", fg="red")
    unreachable = [h for h, r in report.results.results.items() if not r.ok]
    if unreachable:
        click.secho(f"not backed up: {', '.join(unreachable)}", fg="red")


def _repo(paths: StatePaths) -> BackupRepo:
    return BackupRepo(paths.backups)


def _when(d: datetime) -> str:
    return d.astimezone().isoformat(timespec="seconds")


@backup_group.command("log")
@click.argument("host")
@click.option("-n", "--last", "limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@common.state_dir_option()
@common.format_option()
def log_cmd(host: str, limit: int, paths: StatePaths, fmt: str) -> None:
    """The backup commits that changed HOST's configuration, newest first."""
    repo = _repo(paths)
    commits = repo.log(host, limit)
    if not commits:
        raise UsageFailure(f"{host} has no backup in {repo.path} (run `infra backup` first)")
    if fmt == "json":
        emit_json([{**c.__dict__, "when": _when(c.when)} for c in commits])
        return
    rows = [
        {"when": _when(c.when), "commit": c.id[:12], "devices": len(c.hosts), "subject": c.subject}
        for c in commits
    ]
    click.echo(common.table(rows))


@backup_group.command("diff")
@click.argument("host")
@click.argument("revs", nargs=-1, metavar="[REV [REV]]")
@click.option("--startup", is_flag=True, help="the startup (saved) config instead of the running one")
@common.state_dir_option()
def diff_cmd(host: str, revs: tuple[str, ...], startup: bool, paths: StatePaths) -> None:
    """HOST's last change (no REV), from REV to its latest backup, or between two REVs.
    A REV is a commit (see `infra backup log`) or a DATE (YYYY-MM-DD[ HH:MM[:SS]]): the backup
    as it stood then."""
    if len(revs) > 2:
        raise UsageFailure(
            f"infra backup diff takes at most two revisions, got {len(revs)}: {' '.join(revs)}"
        )
    a, b = (*revs, None, None)[:2]
    try:
        text = _repo(paths).diff(host, a, b, startup=startup)
    except BackupError as exc:
        raise UsageFailure(str(exc)) from None
    click.echo(text.rstrip("\n") if text else "(no difference)")


@backup_group.command("show")
@click.argument("host")
@click.option(
    "--at", "ref", default="HEAD", show_default=True, help="a commit or a DATE (YYYY-MM-DD[ HH:MM])"
)
@click.option("--startup", is_flag=True, help="the startup (saved) config instead of the running one")
@common.state_dir_option()
def show_cmd(host: str, ref: str, startup: bool, paths: StatePaths) -> None:
    """HOST's backed-up configuration (masked) as it stood at REV or DATE (default: the latest)."""
    try:
        click.echo(_repo(paths).at(host, ref, startup=startup), nl=False)
    except BackupError as exc:
        raise UsageFailure(str(exc)) from None


backup_group.add_command(restore_cmd)
