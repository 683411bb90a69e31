"""Where infra keeps its state: the run journal (SQLite) and config backups (a git repository,
`infra.state.backups`: below deploy, the audits and the backup runs, which all read or write it).

Defaults live under one state directory (`$INFRA_STATE_DIR`, else `./state`); each path can be
set on its own (`$INFRA_JOURNAL`, `$INFRA_BACKUP_DIR`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StatePaths:
    root: Path
    journal: Path
    backups: Path
    locks: Path

    @classmethod
    def from_env(cls, root: Path | None = None) -> StatePaths:
        base = Path(root or os.environ.get("INFRA_STATE_DIR", "state")).resolve()
        return cls(
            root=base,
            journal=Path(os.environ.get("INFRA_JOURNAL", base / "journal.sqlite")),
            backups=Path(os.environ.get("INFRA_BACKUP_DIR", base / "backups")),
            locks=base / "locks",
        )
