"""What the Device page reads from infra's own state rather than from Prometheus: the journal's
recent results for the device, its last backup, and its compliance score.

All of it is blocking (SQLite, git, the compliance engine): the page calls these through
`asyncio.to_thread`. None of it hands out configuration text: a journal entry goes without its
diff, a backup is its commit, a compliance result is its score and the ids of the failing rules.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from infra.audit.compliance import run_compliance
from infra.inventory import Inventory
from infra.journal.db import Journal
from infra.state.backups import BackupRepo

COMPLIANCE_TTL = 60.0  # seconds a device's score is kept: the backup it scores changes per run


@dataclass(frozen=True)
class JournalLine:
    """One device result of a run, without its diff (configuration text)."""

    run_id: str
    finished: str
    user: str
    command: str
    comment: str
    status: str
    changed: bool
    attention: bool
    message: str


@dataclass(frozen=True)
class LastBackup:
    commit: str
    committed: str  # ISO time
    subject: str  # the run's comment and id


@dataclass(frozen=True)
class Compliance:
    score: float | None  # None: nothing to score (no backup, or no rule applied)
    findings: tuple[str, ...] = ()  # ids of the failing rules
    waived: int = 0
    note: str = ""  # why there is no score


def journal_lines(path: Path, host: str, limit: int = 10) -> list[JournalLine]:
    """The device's latest results, newest first; none when the journal does not exist yet (the
    board never creates one)."""
    if not path.exists():
        return []
    return [
        JournalLine(
            e.run_id,
            e.finished,
            e.user,
            e.command,
            e.comment,
            e.status,
            e.changed,
            e.attention,
            e.message[:300],
        )
        for e in Journal(path).device_history(host, limit)
    ]


def last_backup(backups: Path, host: str) -> LastBackup | None:
    change = BackupRepo(backups).last_change(host)
    return LastBackup(*change) if change else None


class ComplianceCache:
    """Each device's compliance score over its latest backup, computed offline with the audit's
    own engine (`run_compliance`, what `infra audit --compliance --offline -` runs), kept a minute."""

    def __init__(self, ttl: float = COMPLIANCE_TTL) -> None:
        self.ttl = ttl
        self._scores: dict[tuple[Path, str], tuple[float, Compliance]] = {}
        self._lock = threading.Lock()

    def score(self, inv: Inventory, backups: Path, host: str) -> Compliance:
        now = time.monotonic()
        with self._lock:
            kept = self._scores.get((backups, host))
            if kept is not None and now - kept[0] < self.ttl:
                return kept[1]
        found = compliance_of(inv, backups, host)
        with self._lock:
            self._scores[(backups, host)] = (time.monotonic(), found)
        return found


def compliance_of(inv: Inventory, backups: Path, host: str) -> Compliance:
    if not (backups / f"{host}.cfg").is_file() and not (backups / host).is_dir():
        return Compliance(None, note="no backup of this device to score")
    try:
        report = run_compliance(inv, offline=backups, limit=host, workers=1)
    except Exception as exc:  # the engine's own errors name files, never their contents
        return Compliance(None, note=f"the compliance audit failed ({type(exc).__name__})")
    device = next((d for d in report.devices if d.host == host), None)
    if device is None:
        return Compliance(None, note="the compliance audit found no configuration for this device")
    return Compliance(
        device.score,
        tuple(r.rule.id for r in device.findings),
        len(device.waived),
        "" if device.score is not None else "no compliance rule applies to this device",
    )
