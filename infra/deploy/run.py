"""A deploy run: batches of devices in parallel, backups, journal, and the servers beside them.

    deploy(inv, hosts, options, paths) -> DeployReport

Network devices deploy through their drivers (`device.py`), `forks` at a time, batch by batch
(`--serial`). One failing device never stops the others; a batch whose failure rate exceeds
`--max-fail-percentage` stops the run (devices not started are reported skipped). Servers, if
a `ServerRunner` (infra.ansible) is given, run after the network devices and land in the same
RunResult, journal entry and summary.
"""

from __future__ import annotations

import secrets as _random
import shlex
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.backup import BackupRepo
from infra.deploy.device import DeviceJob, DeviceOutcome, DriverFactory, default_factory, deploy_device
from infra.deploy.options import DeployOptions, IntentFn, Progress, ServerRunner, batches
from infra.deploy.targets import prime_secrets
from infra.inventory import Inventory
from infra.inventory.models import Host, Platform
from infra.journal import Journal
from infra.results import Result, RunResult
from infra.state import StatePaths

EXIT_OK, EXIT_FAILED, EXIT_PENDING = 0, 1, 3


@dataclass
class DeployReport:
    run_id: str
    check: bool
    results: RunResult
    backup_commit: str | None = None
    stopped: str | None = None  # why the run stopped early (max-fail-percentage)

    @property
    def exit_code(self) -> int:
        if self.results.failed:
            return EXIT_FAILED
        if self.check and self.results.changed_hosts:
            return EXIT_PENDING
        return EXIT_OK

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "check": self.check,
            "exit_code": self.exit_code,
            "backup_commit": self.backup_commit,
            "stopped": self.stopped,
            "counts": self.results.counts(),
            "hosts": [r.as_dict() for r in self.results.results.values()],
        }


def default_intent(inv: Inventory, host: Host) -> str:
    """The renderer's intended config for the platform that really runs the device."""
    try:
        from infra.render import render_host
    except ImportError as exc:
        raise RuntimeError(f"the renderer (infra.render.render_host) is not available: {exc}") from None
    text: str = render_host(inv, host.name)
    return text


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + _random.token_hex(3)


def deploy(
    inv: Inventory,
    hosts: Sequence[Host],
    options: DeployOptions,
    paths: StatePaths,
    *,
    intent: IntentFn = default_intent,
    factory: DriverFactory = default_factory,
    progress: Progress | None = None,
    servers: ServerRunner | None = None,
) -> DeployReport:
    hidden = prime_secrets(inv)
    mask = inv.secrets.mask
    journal = Journal(paths.journal, hidden)
    backups = BackupRepo(paths.backups, hidden)
    report = DeployReport(new_run_id(), options.check, RunResult())
    command = mask(options.command if options.command else "infra " + shlex.join(sys.argv[1:]))
    comment = mask(options.comment)
    journal.start_run(report.run_id, command + (" (check)" if options.check else ""), comment)

    network = [h for h in hosts if h.is_network_device]
    server_hosts = [h for h in hosts if h.platform == Platform.LINUX]
    for h in hosts:
        if not h.is_network_device and h.platform != Platform.LINUX:
            report.results.add(Result(h.name, skipped=True, message=f"nothing to deploy on {h.platform}"))

    outcomes: dict[str, DeviceOutcome] = {}
    deployed_ok: set[str] = set()
    failed: set[str] = set()
    names = {h.name: h for h in network}
    for batch in batches(list(names), options.serial):
        if report.stopped:
            for name in batch:
                report.results.add(Result(name, skipped=True, message=report.stopped))
            continue
        _run_batch(
            inv,
            [names[n] for n in batch],
            options,
            paths,
            intent,
            factory,
            progress,
            deployed_ok,
            failed,
            outcomes,
            report,
        )
        bad = sum(1 for n in batch if not report.results.results[n].ok)
        limit = options.max_fail_percentage
        if limit is not None and batch and 100.0 * bad / len(batch) > limit:
            report.stopped = (
                f"not started: {bad} of {len(batch)} devices of the previous batch failed, "
                f"more than --max-fail-percentage {limit:g}"
            )

    if servers is not None and server_hosts:
        for r in servers(inv, server_hosts, options.check, options.diff).results.values():
            r.diff, r.message = mask(r.diff), mask(r.message)
            report.results.add(r)

    if not options.check:
        for name, o in outcomes.items():
            if o.before is not None:
                backups.write(name, o.before)
        run_line = f"run {report.run_id}" + (f": {comment}" if comment else "")
        backups.commit(f"before {run_line}\n\nrunning configs found at the start (changed outside infra)")
        for name, o in outcomes.items():
            if o.after is not None:
                backups.write(name, o.after)
        report.backup_commit = backups.commit(f"{run_line}\n\n{_summary(report)}")
    for r in report.results.results.values():
        journal.record_device(report.run_id, r)
    status = "failed" if report.results.failed else ("check" if options.check else "ok")
    journal.finish_run(report.run_id, status, report.results.counts(), report.backup_commit)
    return report


def _run_batch(
    inv: Inventory,
    batch: list[Host],
    options: DeployOptions,
    paths: StatePaths,
    intent: IntentFn,
    factory: DriverFactory,
    progress: Progress | None,
    deployed_ok: set[str],
    failed: set[str],
    outcomes: dict[str, DeviceOutcome],
    report: DeployReport,
) -> None:
    lock = threading.Lock()
    names = frozenset(h.name for h in batch)
    limit = options.max_fail_percentage

    def one(host: Host) -> DeviceOutcome:
        with lock:
            if limit is not None and 100.0 * len(failed & names) / len(batch) > limit:
                return DeviceOutcome(
                    Result(host.name, skipped=True, message="not started: too many failures")
                )
        job = DeviceJob(
            inv, host, intent, options, paths.locks, names, deployed_ok, failed, factory, progress
        )
        outcome = deploy_device(job)
        if not outcome.result.ok:
            with lock:
                failed.add(host.name)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, min(options.forks, len(batch)))) as pool:
        for outcome in pool.map(one, batch):
            outcomes[outcome.result.host] = outcome
            report.results.add(outcome.result)


def _summary(report: DeployReport) -> str:
    lines = [f"{r.host}: {r.status.value} {r.message}".rstrip() for r in report.results.results.values()]
    return "\n".join(lines)
