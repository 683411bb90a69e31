"""infra's own runs as Prometheus metrics, from the journal, for node exporter's textfile collector.

    infra_run_last_success{command="deploy|backup", run_id}            1 or 0
    infra_run_last_timestamp_seconds{command}                          when the last run finished
    infra_run_last_success_timestamp_seconds{command}                  when the last good run finished
    infra_backup_last_success_timestamp_seconds{host}                  when `infra backup` last read it
    infra_backup_last_success{host}                                    1 if its last backup read it, else 0

Run it from a timer after each run (`infra monitoring journal-metrics --out
/var/lib/prometheus/node-exporter/infra.prom`); the file is replaced atomically. `--check` runs
and runs still going are left out. The journal is opened read-only.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

COMMANDS = ("deploy", "backup")
NOT_HOSTS = frozenset({"off-site"})  # journal lines of a backup run that are no host (infra.backup.pull)
OK = "ok"


def _kind(command: str) -> str | None:
    """deploy or backup (`infra backup restore` pushes: it is neither); None for checks."""
    words = command.split()
    if "(check)" in words or "--check" in words:
        return None
    for i, w in enumerate(words[:4]):
        if w in COMMANDS:
            return None if w == "backup" and words[i + 1 : i + 2] == ["restore"] else w
    return None


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def journal_metrics(journal: Path) -> str:
    lines = [
        "# HELP infra_run_last_success 1 if the last finished run of the command succeeded, else 0.",
        "# TYPE infra_run_last_success gauge",
        "# HELP infra_run_last_timestamp_seconds When the last run of the command finished.",
        "# TYPE infra_run_last_timestamp_seconds gauge",
        "# HELP infra_run_last_success_timestamp_seconds When the last good run of the command finished.",
        "# TYPE infra_run_last_success_timestamp_seconds gauge",
        "# HELP infra_backup_last_success_timestamp_seconds When infra backup last read the host's config.",
        "# TYPE infra_backup_last_success_timestamp_seconds gauge",
        "# HELP infra_backup_last_success 1 if the host's last infra backup read it, else 0.",
        "# TYPE infra_backup_last_success gauge",
    ]
    if not journal.exists():
        return "\n".join(lines) + "\n"
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT id, command, status, finished FROM runs WHERE finished IS NOT NULL"
            " ORDER BY finished DESC, rowid DESC"
        ).fetchall()
        backup_runs = {r[0] for r in rows if _kind(r[1]) == "backup"}
        devices = _device_rows(db) if backup_runs else []
    finally:
        db.close()
    last: dict[str, tuple[str, str, str]] = {}
    last_ok: dict[str, str] = {}
    for run_id, command, status, finished in rows:
        kind = _kind(command)
        if kind is None or status == "running":
            continue
        last.setdefault(kind, (run_id, status, finished))
        if status == OK:
            last_ok.setdefault(kind, finished)
    for kind, (run_id, status, finished) in sorted(last.items()):
        lines.append(f'infra_run_last_success{{command="{kind}",run_id="{run_id}"}} {int(status == OK)}')
        lines.append(f'infra_run_last_timestamp_seconds{{command="{kind}"}} {_epoch(finished):.0f}')
    for kind, finished in sorted(last_ok.items()):
        lines.append(f'infra_run_last_success_timestamp_seconds{{command="{kind}"}} {_epoch(finished):.0f}')
    lines += _per_host(devices, backup_runs)
    return "\n".join(lines) + "\n"


def _device_rows(db: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    try:
        return db.execute(
            "SELECT run_id, host, status, finished FROM device_results ORDER BY finished, rowid"
        ).fetchall()
    except sqlite3.OperationalError:  # a journal from before device results were kept
        return []


def _per_host(devices: list[tuple[str, str, str, str]], backup_runs: set[str]) -> list[str]:
    """Each host's last backup result and last successful read (skipped ones say nothing)."""
    last: dict[str, bool] = {}
    last_ok: dict[str, str] = {}
    for run_id, host, status, finished in devices:  # oldest first: later ones win
        if run_id not in backup_runs or host in NOT_HOSTS or status == "skipped":
            continue
        ok = status in ("ok", "changed")
        last[host] = ok
        if ok:
            last_ok[host] = finished
    out = [
        f'infra_backup_last_success_timestamp_seconds{{host="{h}"}} {_epoch(t):.0f}'
        for h, t in sorted(last_ok.items())
    ]
    out += [f'infra_backup_last_success{{host="{h}"}} {int(ok)}' for h, ok in sorted(last.items())]
    return out


def write_textfile(text: str, out: Path) -> None:
    """Atomic replace, so node exporter never reads half a file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
