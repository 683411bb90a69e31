"""`infra backup restore`: a past configuration back onto a device through the deploy machinery,
or a server's data from its restic snapshot (`--server`). Exit codes as `infra deploy`: 0 done
(or nothing to change), 1 failed / rolled back / unreachable, 2 bad input (an unknown host,
REV or DATE, a masked secret that cannot be filled in), 3 changes pending (`--check`), 130
interrupted."""

from __future__ import annotations

import sys
from functools import partial

import click

from infra.cli import common
from infra.cli.common import Context, UsageFailure, contacts_devices, emit_json, handle_errors, pass_ctx
from infra.cli.deploy_cmd import print_report, run_and_report
from infra.deploy import DeployOptions, DeployReport, OptionError, parse_duration
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.state import StatePaths


def _host(inv: Inventory, name: str, what: str) -> Host:
    host = inv.hosts.get(name)
    if host is None:
        raise UsageFailure(f"{what} {name!r}: no such host in the inventory {inv.path}")
    return host


@click.command("restore")
@click.argument("host", required=False)
@click.option(
    "--at", "ref", required=True, help="REV (commit, HEAD~1) or DATE (YYYY-MM-DD[ HH:MM]); --server: SNAPSHOT"
)
@click.option(
    "--check", is_flag=True, help="touch nothing: show what the restore would change (exit 3 if anything)"
)
@click.option("--diff", "show_diff", is_flag=True, help="show the diff and the remediation")
@click.option("--comment", default="", help="why: stored in the journal and the backup commit")
@click.option(
    "--confirm-timeout",
    default="2m",
    show_default=True,
    help="revert timer: an unconfirmed restore is rolled back after this long (90s, 2m)",
)
@click.option(
    "--server", "server", default=None, help="restore a server's data (restic) instead of a device's config"
)
@click.option("--path", "data_path", default=None, help="--server: the path to restore (as backed up)")
@common.state_dir_option()
@click.option("--progress/--no-progress", default=None, help="per-device steps on stderr")
@common.format_option()
@pass_ctx
@handle_errors
@contacts_devices()
def restore_cmd(
    ctx: Context,
    host: str | None,
    ref: str,
    check: bool,
    show_diff: bool,
    comment: str,
    confirm_timeout: str,
    server: str | None,
    data_path: str | None,
    paths: StatePaths,
    progress: bool | None,
    fmt: str,
) -> None:
    """Put back HOST's configuration as it was at REV or DATE, as a deploy does (diff, push,
    verify, roll back on failure, journal), or with --server/--path a server's data from a
    restic SNAPSHOT ("latest" or an id)."""
    if server is not None or data_path is not None:
        if host is not None:
            raise UsageFailure(f"give either HOST ({host}) or --server with --path, not both")
        if not server or not data_path:
            raise UsageFailure("--server HOST and --path PATH go together (and --at SNAPSHOT)")
        _restore_server(ctx, server, data_path, ref, check, comment, paths, fmt)
        return
    if not host:
        raise UsageFailure("which device? infra backup restore HOST --at REV|DATE")
    if not ref.strip():
        raise UsageFailure("--at: give a backup revision (commit, HEAD~1) or a date (YYYY-MM-DD[ HH:MM])")
    try:
        options = DeployOptions(
            check=check,
            diff=show_diff,
            forks=1,
            confirm_timeout_s=parse_duration(confirm_timeout),
            comment=comment,
            command=f"infra backup restore {host} --at {ref}",
        )
    except OptionError as exc:
        raise UsageFailure(str(exc)) from None
    from infra.backup.restore import RestoreRefused, plan_restore, restore_config

    inv = ctx.inventory()
    device = _host(inv, host, "HOST")
    try:
        plan = plan_restore(inv, device, ref, paths)
    except RestoreRefused as exc:
        if exc.exit_code == 2:
            raise UsageFailure(str(exc)) from None
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)

    def show(report: DeployReport) -> None:
        restored = {"host": plan.host, "at": plan.ref, "commit": plan.commit, "secret_lines": plan.unmasked}
        if fmt == "json":
            emit_json({"restore": restored, **report.as_dict()})
        else:
            click.echo(
                f"{'checking' if check else 'restoring'} {plan.host} to its backup at {plan.ref} "
                f"(commit {plan.commit[:12]}"
                + (f", {plan.unmasked} secret lines filled in" if plan.unmasked else "")
                + ")"
            )
            print_report(report, show_diff)

    run_and_report(partial(restore_config, inv, device, plan, options, paths), progress, fmt, show)


def _restore_server(
    ctx: Context,
    name: str,
    data_path: str,
    snapshot: str,
    check: bool,
    comment: str,
    paths: StatePaths,
    fmt: str,
) -> None:
    from infra.backup.restore import restore_server_data

    inv = ctx.inventory()
    host = _host(inv, name, "--server")
    if not host.is_server:
        raise UsageFailure(f"--server {name}: not a server (its data is not backed up with restic)")
    if not snapshot.strip():
        raise UsageFailure("--at: give a restic snapshot (an id or latest)")
    from infra.backup.restore import RestoreRefused
    from infra.backup.servers import ServerRestore

    try:
        want = ServerRestore(host, data_path, snapshot, check)
        run_id, result = restore_server_data(inv, want, paths, comment=comment)
    except RestoreRefused as exc:
        raise UsageFailure(f"--server {name}: {exc}") from None
    if fmt == "json":
        emit_json({"run_id": run_id, "check": check, "hosts": [result.as_dict()]})
    else:
        click.echo(f"{result.status.value:<12} {result.host:<24} {result.duration_s:6.1f}s  {result.message}")
        click.echo(f"run {run_id}")
    if not result.ok:
        sys.exit(1)
    sys.exit(3 if check and result.changed else 0)
