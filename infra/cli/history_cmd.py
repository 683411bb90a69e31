"""`infra history [HOST]`: the journal of runs, or one device's outcomes run by run.

A backup run that found devices changed outside infra (their config differs from the last
backup while no run of infra pushed to them) names them in a `note` column; HOST's own history
says "changed outside infra" in its message.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from infra.backup.pull import OUTSIDE, is_backup_command
from infra.cli import common
from infra.cli.common import emit_json, table
from infra.journal import Journal
from infra.state import StatePaths


@click.command("history")
@click.argument("host", required=False)
@click.option("-n", "--last", "limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--diff", "show_diff", is_flag=True, help="show each device's diff (HOST only)")
@click.option(
    "--attention",
    is_flag=True,
    help="devices whose last run left them not ok: unknown state (a failed restore) first; exit 1 if any",
)
@common.state_dir_option()
@common.format_option()
def history_cmd(
    host: str | None, limit: int, show_diff: bool, attention: bool, paths: StatePaths, fmt: str
) -> None:
    """Who ran what, when, and what happened (all runs; or HOST's results with their diffs)."""
    if not paths.journal.exists():
        click.echo(f"no journal yet at {paths.journal}", err=True)
        return
    journal = Journal(paths.journal)
    if attention:
        _attention(journal, fmt)
        return
    if host:
        entries = journal.device_history(host, limit)
        if fmt == "json":
            emit_json([e.as_dict() for e in entries])
            return
        rows = _rows(
            "when run user status took message comment",
            (
                (e.finished, e.run_id, e.user, e.status, f"{e.duration_s:.1f}s", e.message, e.comment)
                for e in entries
            ),
        )
        click.echo(table(rows))
        if show_diff:
            for e in entries:
                if e.diff:
                    click.echo(f"\n--- {e.run_id} {e.finished}\n{e.diff}")
        return
    runs = journal.runs(limit)
    outside = {r.id: _changed_outside(journal, r.id) for r in runs if is_backup_command(r.command)}
    if fmt == "json":
        emit_json([{**r.__dict__, "changed_outside_infra": outside.get(r.id, [])} for r in runs])
        return
    rows = _rows(
        "started run user status hosts command comment",
        ((r.started, r.id, r.user, r.status, _counts(r.counts), r.command, r.comment) for r in runs),
    )
    if any(outside.values()):  # a backup found devices changed by hand: say which
        for row in rows:
            hosts = outside.get(str(row["run"]), [])
            row["note"] = f"{OUTSIDE}: {', '.join(hosts)}" if hosts else ""
    click.echo(table(rows))


def _rows(columns: str, values: Iterable[tuple[object, ...]]) -> list[dict[str, object]]:
    """Table rows: the space-separated `columns` over each tuple of `values`."""
    names = columns.split()
    return [dict(zip(names, v, strict=True)) for v in values]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n)


def _changed_outside(journal: Journal, run_id: str) -> list[str]:
    """The devices a backup run found changed outside infra (no run of infra pushed to them)."""
    return [e.host for e in journal.results_of(run_id) if e.message.startswith(OUTSIDE)]


def _attention(journal: Journal, fmt: str) -> None:
    entries = journal.attention()
    if fmt == "json":
        emit_json([e.as_dict() for e in entries])
    elif entries:
        rows = _rows(
            "host state since run message",
            (
                (e.host, "UNKNOWN" if e.attention else e.status, e.finished, e.run_id, e.message)
                for e in entries
            ),
        )
        click.echo(table(rows))
    else:
        click.echo("no device needs attention: every device's last run ended ok")
    if entries:
        raise SystemExit(1)
