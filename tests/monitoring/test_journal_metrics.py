"""The journal's last deploy/backup runs become the metrics the infra-runs alerts read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from infra.cli import cli
from infra.monitoring.journal_metrics import journal_metrics

SCHEMA = "CREATE TABLE runs (id TEXT, started TEXT, finished TEXT, user TEXT, command TEXT, status TEXT)"


def journal(tmp_path: Path, runs: list[tuple[str, str, str, str | None]]) -> Path:
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path)
    db.execute(SCHEMA)
    for run_id, command, status, finished in runs:
        db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, 'ops', ?, ?)",
            (run_id, finished or "", finished, command, status),
        )
    db.commit()
    db.close()
    return path


def test_last_run_and_last_success_per_command(tmp_path: Path) -> None:
    path = journal(
        tmp_path,
        [
            ("d1", "infra deploy --limit cpe", "ok", "2026-11-20T10:00:00+00:00"),
            ("d2", "infra deploy --limit cpe", "failed", "2026-11-21T10:00:00+00:00"),
            ("d3", "infra deploy (check)", "check", "2026-11-21T11:00:00+00:00"),
            ("d4", "infra deploy", "running", None),
            ("b1", "infra backup", "ok", "2026-11-21T02:00:00+00:00"),
        ],
    )
    text = journal_metrics(path)
    assert 'infra_run_last_success{command="deploy",run_id="d2"} 0' in text
    assert 'infra_run_last_success{command="backup",run_id="b1"} 1' in text
    assert 'infra_run_last_success_timestamp_seconds{command="deploy"} 1795168800' in text
    assert 'infra_run_last_success_timestamp_seconds{command="backup"} 1795226400' in text
    assert "d3" not in text and "d4" not in text


def test_no_journal_yet_gives_only_the_help_lines(tmp_path: Path) -> None:
    text = journal_metrics(tmp_path / "missing.sqlite")
    assert "infra_run_last_success{" not in text and "# TYPE infra_run_last_success gauge" in text


def test_cli_writes_the_textfile(tmp_path: Path) -> None:
    path = journal(tmp_path, [("b9", "infra backup", "failed", "2026-11-21T02:00:00+00:00")])
    out = tmp_path / "tf" / "infra.prom"
    r = CliRunner().invoke(cli, ["monitoring", "journal-metrics", "--journal", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert 'infra_run_last_success{command="backup",run_id="b9"} 0' in out.read_text()
