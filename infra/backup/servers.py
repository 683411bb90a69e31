"""Server data, 3-2-1: restic through the server_backup Ansible role (skeleton, issue 15)."""

from __future__ import annotations

from collections.abc import Sequence

from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.results import Result, RunResult
from infra.state import StatePaths


def back_up_servers(
    inv: Inventory, hosts: Sequence[Host], paths: StatePaths, *, check: bool = False
) -> RunResult:
    """Run the servers' data backups through ansible-runner; one Result per server."""
    raise NotImplementedError


def restore_server(
    inv: Inventory, host: Host, path: str, snapshot: str, paths: StatePaths, *, check: bool = False
) -> Result:
    """Restore PATH on HOST from restic SNAPSHOT ("latest" or an id)."""
    raise NotImplementedError
