"""Server data, 3-2-1: restic through the server_backup Ansible role (playbooks/server_backup.yml).

`back_up_servers` runs the role over the servers asked for: each server's data goes to the
restic repository on the backup server and every snapshot is copied to the second repository
(the off-site copy); retention is applied and the run is recorded for the freshness alert
(`infra_server_backup_*` in node exporter's textfile directory). `restore_server` restores a
path of one server from one of its snapshots, in place. Both run through ansible-runner like
every server change (infra/ansible), so the run is masked, journaled by the caller and guarded
by the lab check; the repository passwords reach restic only through the task environment.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from infra.ansible.datadir import RunSettings
from infra.ansible.run import PLAYBOOK_DIR, results_of
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.inventory.server_backup import ServerBackup
from infra.results import Result, RunResult
from infra.state import StatePaths

PLAYBOOK = PLAYBOOK_DIR / "server_backup.yml"
REPORTS = {"Report the backup": "backup", "Report the restore": "restore"}
SNAPSHOT = re.compile(r"^(latest|[0-9a-f]{8,64})$")
GLOB = re.compile(r"[*?\[\]\\]")
METRIC = "infra_server_backup_last_success_timestamp_seconds"  # the freshness alert's series


class ServerBackupError(ValueError):
    """Bad input: no `server_backup:` in the inventory, not a server, a bad path or snapshot
    (the CLI exits 2 with this one line)."""


@dataclass(frozen=True)
class ServerRestore:
    """What to restore: PATH on HOST from restic SNAPSHOT ("latest" or an id); `check`: what
    would be restored, nothing written."""

    host: Host
    path: str
    snapshot: str
    check: bool = False


def _config(inv: Inventory) -> ServerBackup:
    if inv.server_backup is None:
        raise ServerBackupError(
            f"{inv.path}/group_vars/all: no server_backup: configured (repositories, passwords, retention; "
            "see docs/backup.md, 'Server data')"
        )
    return inv.server_backup


@contextmanager
def _lock(paths: StatePaths) -> Iterator[str | None]:
    """One server backup or restore at a time from this state directory (restic's own locks
    would fail the second run half-way). Yields None when taken, else why not."""
    paths.locks.mkdir(parents=True, exist_ok=True)
    file = paths.locks / "server-backup.lock"
    fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield f"another server backup or restore is running (lock {file})"
            return
        yield None
    finally:
        os.close(fd)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


class _Reports:
    """Catches the role's report tasks (their `msg` dicts) from ansible-runner's events."""

    def __init__(self) -> None:
        self.by_host: dict[str, dict[str, Any]] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        data = event.get("event_data") or {}
        if event.get("event") != "runner_on_ok" or str(data.get("task") or "") not in REPORTS:
            return
        msg = (data.get("res") or {}).get("msg")
        if isinstance(msg, dict) and data.get("host"):
            self.by_host[str(data["host"])] = {**msg, "kind": REPORTS[str(data["task"])]}


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _backup_message(report: dict[str, Any], copy_host: str) -> str:
    new, changed, added = (_as_int(report.get(k)) for k in ("files_new", "files_changed", "bytes_added"))
    absent = [str(p) for p in report.get("absent") or []]
    if str(report.get("check")).lower() == "true" and str(report.get("new_repository")).lower() == "true":
        text = f"would create the repositories and back up {', '.join(map(str, report.get('paths') or []))}"
    elif str(report.get("check")).lower() == "true":
        text = f"would back up {new} new and {changed} changed files"
    else:
        snapshot = report.get("snapshot") or "?"
        text = f"snapshot {snapshot}: {new} new, {changed} changed files, {_human(added)} added"
        text += f"; copied to {copy_host}" if str(report.get("copied")).lower() == "true" else ""
    dumps = [str(d) for d in report.get("dumps") or []]
    if dumps:
        text += f"; dumps: {', '.join(dumps)}"
    if absent:
        text += f"; not on this server: {', '.join(absent)}"
    return text


def _run(
    inv: Inventory,
    clients: list[str],
    repository_hosts: list[str],
    extravars: dict[str, object],
    *,
    check: bool,
    forks: int,
    playbook: Path,
) -> tuple[RunResult, _Reports]:
    reports = _Reports()
    limit = list(dict.fromkeys([*clients, *repository_hosts]))
    settings = RunSettings(
        playbook=playbook,
        limit=limit,
        check=check,
        forks=forks,
        extravars={
            "server_backup_clients": clients,
            "server_backup_repository_hosts": repository_hosts,
            **extravars,
        },
        on_event=reports,
    )
    return results_of(inv, settings, limit), reports


def back_up_servers(
    inv: Inventory,
    hosts: Sequence[Host],
    paths: StatePaths,
    *,
    check: bool = False,
    forks: int = 5,
    playbook: Path = PLAYBOOK,
    extravars: dict[str, object] | None = None,
) -> RunResult:
    """Run the servers' data backups through ansible-runner; one Result per server.

    Hosts that are not servers are not this function's business (the caller backs up network
    devices). A repository server that fails to accept the servers' keys is reported too.
    `check`: restic backup --dry-run (what would be backed up), nothing written anywhere.
    `extravars` override the role's variables (tests point the repositories elsewhere); a
    `server_backup_repository_hosts` among them replaces the inventory's repository servers.
    """
    config = _config(inv)
    clients = [h.name for h in hosts if h.is_server]
    out = RunResult()
    if not clients:
        return out
    extra = {"server_backup_action": "backup", **(extravars or {})}
    override = extra.get("server_backup_repository_hosts")
    repo_hosts = (
        [str(h) for h in override] if isinstance(override, list | tuple) else list(config.repository_hosts)
    )
    with _lock(paths) as busy:
        if busy is not None:
            for name in clients:
                out.add(Result(name, failed=True, message=busy))
            return out
        result, reports = _run(inv, clients, repo_hosts, extra, check=check, forks=forks, playbook=playbook)
    for name in clients:
        r = result.results.get(name) or Result(name, failed=True, message="no result from Ansible")
        report = reports.by_host.get(name)
        if r.ok and report is not None:
            r.message = inv.secrets.mask(_backup_message(report, config.copy_.host))
            first = str(report.get("new_repository")).lower() == "true"
            files = _as_int(report.get("files_new")) + _as_int(report.get("files_changed"))
            r.changed = not check or first or files > 0
            r.details = {**r.details, "backup": {k: v for k, v in report.items() if k != "kind"}}
        out.add(r)
    for name in repo_hosts:
        repo = result.results.get(name)
        if name not in clients and repo is not None and not repo.ok:
            repo.message = f"repository server: {repo.message}"
            out.add(repo)
    return out


def _check_restore_input(inv: Inventory, want: ServerRestore) -> None:
    host, path, snapshot = want.host, want.path, want.snapshot
    where = f"{host.name}:{path}"
    if host.name not in inv.hosts or not host.is_server:
        raise ServerBackupError(
            f"--server {host.name}: not a server of the inventory (only servers have data backups)"
        )
    pure = PurePosixPath(path)
    if not pure.is_absolute() or ".." in pure.parts or str(pure) != path or path == "/":
        raise ServerBackupError(
            f"--path {path!r} ({where}): give an absolute, normalised path below / (like /srv/portal)"
        )
    if GLOB.search(path):
        raise ServerBackupError(f"--path {path!r} ({where}): no wildcards; give the file or directory itself")
    if not SNAPSHOT.match(snapshot):
        raise ServerBackupError(
            f"--at {snapshot!r}: a restic snapshot id (8 to 64 hex digits, as `restic snapshots` shows) "
            "or 'latest'"
        )


def restore_server(
    inv: Inventory,
    want: ServerRestore,
    paths: StatePaths,
    *,
    playbook: Path = PLAYBOOK,
    extravars: dict[str, object] | None = None,
) -> Result:
    """Restore `want.path` on `want.host` from its restic snapshot, in place and verified.

    Bad input (not a server, a relative path, a malformed snapshot id) raises ServerBackupError
    before anything runs; a snapshot or path the repository does not have, or a wrong
    password, is a failed Result naming it, with nothing changed. `want.check`: what would be
    restored, nothing written."""
    _check_restore_input(inv, want)
    host, path, snapshot, check = want.host, want.path, want.snapshot, want.check
    _config(inv)
    extra = {
        "server_backup_action": "restore",
        "server_backup_restore_path": path,
        "server_backup_restore_snapshot": snapshot,
        "server_backup_repository_hosts": [],
        **(extravars or {}),
    }
    with _lock(paths) as busy:
        if busy is not None:
            return Result(host.name, failed=True, message=busy)
        result, reports = _run(inv, [host.name], [], extra, check=check, forks=1, playbook=playbook)
    r = result.results.get(host.name) or Result(host.name, failed=True, message="no result from Ansible")
    report = reports.by_host.get(host.name)
    if r.ok and report is not None:
        entries = _as_int(report.get("entries"))
        verb = "would restore" if check else "restored"
        r.message = inv.secrets.mask(
            f"{verb} {path} ({entries} entries) from snapshot {report.get('snapshot')} "
            f"of {report.get('snapshot_time')}"
        )
        r.changed = entries > 0
        r.details = {**r.details, "restore": {k: v for k, v in report.items() if k != "kind"}}
    return r
