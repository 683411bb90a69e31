"""The SQLite journal: table `runs` (one row per run) and `device_results` (one per device).

A run is `running` until closed as `ok`, `check`, `failed` or `interrupted`. A device result
with `attention` set left the device in an unknown state (its restore failed): `infra history
--attention` lists those first.

Stored text (diffs, messages, comments) is masked by the caller; `record_device` refuses text
that still holds a known secret, so a leak fails loudly instead of landing on disk.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.results import Result

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    user TEXT NOT NULL,
    command TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'running',
    backup_commit TEXT,
    counts TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS device_results (
    run_id TEXT NOT NULL REFERENCES runs(id),
    host TEXT NOT NULL,
    status TEXT NOT NULL,
    changed INTEGER NOT NULL,
    diff TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    task TEXT,
    duration_s REAL NOT NULL DEFAULT 0,
    finished TEXT NOT NULL,
    attention INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, host)
);
CREATE INDEX IF NOT EXISTS device_results_host ON device_results(host, finished);
CREATE INDEX IF NOT EXISTS device_results_finished ON device_results(finished);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunEntry:
    id: str
    started: str
    finished: str | None
    user: str
    command: str
    comment: str
    status: str
    backup_commit: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class DeviceEntry:
    run_id: str
    host: str
    status: str
    changed: bool
    diff: str
    message: str
    task: str | None
    duration_s: float
    finished: str
    attention: bool = False
    user: str = ""
    command: str = ""
    comment: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Journal:
    def __init__(self, path: Path, secrets: tuple[str, ...] = ()) -> None:
        self.path = path
        self._secrets = tuple(s for s in secrets if s)
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(device_results)")}
            if "attention" not in columns:  # a journal written before the column existed
                db.execute("ALTER TABLE device_results ADD COLUMN attention INTEGER NOT NULL DEFAULT 0")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def _check(self, what: str, *texts: str | None) -> None:
        for text in texts:
            for s in self._secrets:
                if text and s in text:
                    raise ValueError(f"refusing to journal {what}: it holds an unmasked secret")

    def start_run(self, run_id: str, command: str, comment: str = "", user: str | None = None) -> None:
        self._check("the run", command, comment)
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO runs (id, started, user, command, comment) VALUES (?, ?, ?, ?, ?)",
                (run_id, now(), user or getpass.getuser(), command, comment),
            )

    def record_device(self, run_id: str, result: Result) -> None:
        self._check(result.host, result.diff, result.message, result.exception)
        message = result.message + (f" ({result.exception})" if result.exception else "")
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO device_results (run_id, host, status, changed, diff, message, "
                "task, duration_s, finished, attention) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    result.host,
                    result.status.value,
                    int(result.changed),
                    result.diff,
                    message,
                    result.task,
                    round(result.duration_s, 3),
                    now(),
                    int(bool(result.details.get("needs_attention"))),
                ),
            )

    def finish_run(self, run_id: str, status: str, counts: dict[str, int], backup_commit: str | None) -> None:
        with self._lock, self._connect() as db:
            db.execute(
                "UPDATE runs SET finished = ?, status = ?, counts = ?, backup_commit = ? WHERE id = ?",
                (now(), status, json.dumps(counts), backup_commit, run_id),
            )

    def runs(self, limit: int = 20) -> list[RunEntry]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY started DESC, rowid DESC LIMIT ?", (limit,))
            return [RunEntry(**{**dict(r), "counts": json.loads(r["counts"])}) for r in rows]

    def device_history(self, host: str | None = None, limit: int = 50) -> list[DeviceEntry]:
        sql = (
            "SELECT d.*, r.user, r.command, r.comment FROM device_results d JOIN runs r ON r.id = d.run_id"
            + (" WHERE d.host = ?" if host else "")
            + " ORDER BY d.finished DESC, d.rowid DESC LIMIT ?"
        )
        args: tuple[Any, ...] = (host, limit) if host else (limit,)
        with self._connect() as db:
            return [_device(r) for r in db.execute(sql, args)]

    def results_of(self, run_id: str) -> list[DeviceEntry]:
        """Every device result of one run, in the order they were recorded."""
        sql = (
            "SELECT d.*, r.user, r.command, r.comment FROM device_results d JOIN runs r ON r.id = d.run_id"
            " WHERE d.run_id = ? ORDER BY d.rowid"
        )
        with self._connect() as db:
            return [_device(r) for r in db.execute(sql, (run_id,))]

    def device_results_between(self, start: datetime, end: datetime) -> list[DeviceEntry]:
        """Every device result finished in [start, end], oldest first (what changed before an alert)."""
        sql = (
            "SELECT d.*, r.user, r.command, r.comment FROM device_results d JOIN runs r ON r.id = d.run_id"
            " WHERE d.finished >= ? AND d.finished <= ? ORDER BY d.finished, d.rowid"
        )
        bounds = tuple(t.astimezone(UTC).isoformat(timespec="seconds") for t in (start, end))
        with self._connect() as db:
            return [_device(r) for r in db.execute(sql, bounds)]

    def attention(self) -> list[DeviceEntry]:
        """Each device whose latest result was not ok: those left in an unknown state first
        (a restore that failed), then failed, rolled back and unreachable ones, newest first."""
        sql = (
            "SELECT d.*, r.user, r.command, r.comment FROM device_results d JOIN runs r ON r.id = d.run_id"
            " WHERE d.rowid = (SELECT d2.rowid FROM device_results d2 JOIN runs r2 ON r2.id = d2.run_id"
            "   WHERE d2.host = d.host AND r2.command NOT LIKE '%(check)'"
            "   AND r2.command NOT LIKE '%vc check%'"  # a readiness check changes nothing either
            "   ORDER BY d2.finished DESC, d2.rowid DESC LIMIT 1)"
            " AND (d.attention = 1 OR d.status IN ('failed', 'rolled_back', 'unreachable'))"
            " ORDER BY d.attention DESC, d.finished DESC, d.host"
        )
        with self._connect() as db:
            return [_device(r) for r in db.execute(sql)]


def _device(row: sqlite3.Row) -> DeviceEntry:
    return DeviceEntry(**{**dict(row), "changed": bool(row["changed"]), "attention": bool(row["attention"])})
