"""Config backups: a git repository, one file per device, one commit per run (secrets masked)."""

from infra.backup.repo import BackupError, BackupRepo

__all__ = ["BackupError", "BackupRepo"]
