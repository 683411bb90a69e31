"""A backup run: every device's running (and startup) config, pulled in parallel, one commit.

    back_up(inv, hosts, paths, options) -> BackupReport

Each network device and video codec among `hosts` is read over its driver, `forks` at a time,
under its device lock (a device a deploy is changing is not read half-way: it is skipped, and
that deploy commits its backup). The texts are masked, compared with the last committed backup,
and the changed ones are written and committed in ONE commit naming them ("backup run <id>:
3 changed: a, b, c"); no commit when nothing changed. The commit holds the repository's writer
lock and names only its own files, so a deploy committing at the same time keeps its own.

A device whose config differs from its last backup while no run of infra pushed to it since
(the journal says so) was "changed outside infra": its journal result says so, and `infra
history` shows it. Unreachable devices are listed; the others are still committed. Then the
repository is pushed off-site (a failure fails the run) and, with `servers`, the servers' data
is backed up (their Results join the run). The journal holds the run and one result per host.
"""

from __future__ import annotations

import difflib
import shlex
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from infra.deploy.lock import DeviceBusy, device_lock
from infra.deploy.run import new_run_id
from infra.drivers.targets import DriverFactory, default_factory, has_driver, prime_secrets, target_for
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.journal.db import DeviceEntry
from infra.results import Result, RunResult, on_each_host
from infra.state import StatePaths
from infra.state.backups import BackupRepo

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
OUTSIDE = "changed outside infra"
OFFSITE_HOST = "off-site"  # the journal's line for the off-site push (not a device)
NAMES_IN_SUBJECT = 8
JOURNALLED = ("deploy", "backup", "vc", "audit")  # the verbs whose runs the journal holds

Offsite = Callable[[Inventory, BackupRepo], "str | None"]
Servers = Callable[[Inventory, Sequence[Host], StatePaths], RunResult]
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class BackupOptions:
    forks: int = 25
    comment: str = ""
    command: str = ""  # as journalled (default: this process's argv)
    servers: bool = False  # also the servers' data (`--servers`)


@dataclass
class BackupReport:
    run_id: str
    results: RunResult = field(default_factory=RunResult)
    commit: str | None = None
    changed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    offsite_error: str | None = None
    interrupted: bool = False  # a signal came: no device started after it

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.results.failed else EXIT_OK

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        return "failed" if self.results.failed else "ok"

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "exit_code": self.exit_code,
            "commit": self.commit,
            "changed": self.changed,
            "changed_outside_infra": self.outside,
            "unreachable": [h for h, r in self.results.results.items() if r.unreachable],
            "failed": self.results.failed_hosts,
            "offsite_error": self.offsite_error,
            "interrupted": self.interrupted,
            "counts": self.results.counts(),
            "hosts": [r.as_dict() for r in self.results.results.values()],
        }


@dataclass(frozen=True)
class Pulled:
    running: str
    startup: str | None


def backup_targets(inv: Inventory, hosts: Sequence[Host]) -> list[Host]:
    """The hosts whose configuration `infra backup` pulls: every device a driver reads
    (routers, switches, firewalls, video codecs)."""
    return [h for h in hosts if has_driver(inv, h)]


def _offsite_default(inv: Inventory, repo: BackupRepo) -> str | None:
    from infra.backup.offsite import push_offsite

    return push_offsite(inv, repo)


def _servers_default(inv: Inventory, hosts: Sequence[Host], paths: StatePaths) -> RunResult:
    from infra.backup.servers import back_up_servers

    return back_up_servers(inv, hosts, paths, check=False)


def back_up(
    inv: Inventory,
    hosts: Sequence[Host],
    paths: StatePaths,
    options: BackupOptions = BackupOptions(),
    *,
    factory: DriverFactory = default_factory,
    offsite: Offsite = _offsite_default,
    servers: Servers = _servers_default,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> BackupReport:
    """Once `stop` is set (the CLI's signal handlers), no device starts; the devices being read
    finish, what was read is committed and pushed off-site, the servers' data is not started,
    and the run is journalled `interrupted`."""
    hidden = prime_secrets(inv)
    mask = inv.secrets.mask
    journal = Journal(paths.journal, hidden)
    repo = BackupRepo(paths.backups, hidden)
    report = BackupReport(new_run_id())
    command = mask(options.command or "infra " + shlex.join(sys.argv[1:]))
    options = replace(options, comment=mask(options.comment))
    journal.start_run(report.run_id, command, options.comment)
    status = "failed"
    try:
        devices = backup_targets(inv, hosts)
        pulled: dict[str, Pulled] = {}

        def one(host: Host) -> Result:
            try:
                with device_lock(paths.locks, host.name, "backup"), factory(target_for(inv, host)) as drv:
                    running = mask(drv.get_running_config())
                    startup = drv.get_startup_config()
            except DeviceBusy as exc:
                return Result(
                    host.name, skipped=True, message=f"not read: {exc}; that run commits its backup"
                )
            pulled[host.name] = Pulled(running, None if startup is None else mask(startup))
            return Result(host.name)

        def done(r: Result) -> None:
            if progress:
                progress(r.host, r.status.value)

        results = on_each_host(
            devices, one, forks=options.forks, name=lambda h: h.name, mask=mask, stop=stop, done=done
        )
        report.interrupted = stop is not None and stop.is_set()
        by_name = {r.host: r for r in results}
        report.commit = _commit(repo, journal, report, options, pulled, by_name)
        for r in results:
            report.results.add(r)
            journal.record_device(report.run_id, r)
        if options.servers:
            server_hosts = [h for h in hosts if h.is_server]
            found = (
                [Result(h.name, skipped=True, message="not started: interrupted") for h in server_hosts]
                if report.interrupted
                else _back_up_servers(inv, server_hosts, paths, servers)
            )
            for r in found:
                report.results.add(r)
                journal.record_device(report.run_id, r)
        why = offsite(inv, repo)
        if why:
            report.offsite_error = mask(why)
            r = Result(OFFSITE_HOST, failed=True, message=f"off-site push failed: {report.offsite_error}")
            report.results.add(r)
            journal.record_device(report.run_id, r)
        report.interrupted = stop is not None and stop.is_set()
        status = report.status
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        journal.finish_run(report.run_id, status, report.results.counts(), report.commit)
    return report


def _back_up_servers(inv: Inventory, hosts: list[Host], paths: StatePaths, servers: Servers) -> list[Result]:
    if not hosts:
        return []
    mask = inv.secrets.mask
    try:
        found = servers(inv, hosts, paths).results
    except Exception as exc:  # one broken part never hides the devices' backups
        why = mask(f"{type(exc).__name__}: {exc}")
        return [Result(h.name, failed=True, message=f"server backup not run: {why}") for h in hosts]
    out = []
    for r in found.values():
        r.diff, r.message = mask(r.diff), mask(r.message)
        r.exception = mask(r.exception) if r.exception else None
        out.append(r)
    return out


def _commit(
    repo: BackupRepo,
    journal: Journal,
    report: BackupReport,
    options: BackupOptions,
    pulled: dict[str, Pulled],
    results: dict[str, Result],
) -> str | None:
    """Compare with the last backups, write the changed ones, one commit naming them."""
    changed_paths: list[str] = []
    with repo.transaction():
        for name in sorted(pulled):
            p, r = pulled[name], results[name]
            before = repo.latest(name)
            files = [(p.running, False)] + ([(p.startup, True)] if p.startup is not None else [])
            diffs = []
            for text, startup in files:
                text = text if text.endswith("\n") else text + "\n"
                old = repo.latest(name, startup)
                if old == text:
                    continue
                repo.write(name, text, startup)
                changed_paths.append(repo.name(name, startup))
                diffs.append(_udiff(old or "", text, repo.name(name, startup)))
            if not diffs:
                r.message = "unchanged"
                continue
            r.changed, r.diff = True, "".join(diffs)
            report.changed.append(name)
            if before is None:
                r.message = "first backup"
            elif before == (p.running if p.running.endswith("\n") else p.running + "\n"):
                saved = repo.latest(name, startup=True) is not None
                r.message = (
                    "changed: the startup config (saved) differs from the last backup"
                    if saved or p.startup is None
                    else "first backup of its startup config"
                )
            else:
                pusher = _pushed_since(journal, name, repo.last_change(name))
                if pusher is None:
                    r.message = OUTSIDE + ": no run of infra pushed to it since its last backup"
                    report.outside.append(name)
                else:
                    r.message = f"changed by run {pusher.run_id} ({pusher.command})"
        if not changed_paths:
            return None
        return repo.commit(_message(report, options, results), changed_paths)


def _pushed_since(journal: Journal, host: str, last: tuple[str, str, str] | None) -> DeviceEntry | None:
    """The latest journal result of a run that pushes to devices (not a backup, not a check)
    for `host`, finished at or after its last backup commit; None if there is none."""
    if last is None:
        return None
    since = datetime.fromisoformat(last[1])
    for e in journal.device_history(host, 200):
        if datetime.fromisoformat(e.finished) < since:
            break
        if is_backup_command(e.command) or _is_check(e.command) or e.status in ("skipped", "unreachable"):
            continue
        return e
    return None


def is_backup_command(command: str) -> bool:
    """A run of `infra backup` itself (not `infra backup restore`, which pushes)."""
    words = command.split()
    verb = next((i for i, w in enumerate(words[1:], 1) if w in JOURNALLED), None)
    if verb is None or words[verb] != "backup":
        return False
    return words[verb + 1 : verb + 2] != ["restore"]


def _is_check(command: str) -> bool:
    words = command.split()
    return "(check)" in words or "--check" in words


def _udiff(old: str, new: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            f"{name} (last backup)",
            f"{name} (now)",
        )
    )


def _message(report: BackupReport, options: BackupOptions, results: dict[str, Result]) -> str:
    names = report.changed
    shown = ", ".join(names[:NAMES_IN_SUBJECT]) + (
        f" and {len(names) - NAMES_IN_SUBJECT} more" if len(names) > NAMES_IN_SUBJECT else ""
    )
    lines = [f"backup run {report.run_id}: {len(names)} changed: {shown}", ""]
    if options.comment:
        lines += [options.comment, ""]
    lines += [f"{n}: {results[n].message}" for n in names]
    missing = sorted(h for h, r in results.items() if not r.ok)
    if missing:
        lines += ["", "not read (their last backup stays): " + ", ".join(missing)]
    return "\n".join(lines)
