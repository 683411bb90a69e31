"""A deploy run: batches of devices in parallel, backups, journal, and the servers beside them.

    deploy(inv, hosts, options, paths) -> DeployReport

Network devices deploy through their drivers (`device.py`), `forks` at a time, batch by batch
(`--serial`). One failing device never stops the others; a batch whose failure rate exceeds
`--max-fail-percentage` stops the run (devices not started are reported skipped). Servers, if
a `ServerRunner` (infra.ansible) is given, run after the network devices and land in the same
RunResult, journal entry and summary.

An interrupt (`DeployRun.stop`, set by the CLI's signal handlers) starts no new device; a
device whose push has begun reaches a safe point first (verified and confirmed, or restored).
Whatever happened, the journal closes the run (`interrupted`, `failed`, `ok`, `check`) with
every device's outcome, recorded as soon as it is known, and the backups are committed.
"""

from __future__ import annotations

import secrets as _random
import shlex
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from infra.backup import BackupRepo
from infra.deploy.device import DeviceOutcome, deploy_device
from infra.deploy.options import DeployOptions, ServerRunner, batches
from infra.deploy.verify import Neighbour, intended_neighbours
from infra.drivers.targets import DriverFactory, default_factory, has_driver, prime_secrets
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.render.intent import IntentFn, default_intent
from infra.results import Progress, Result, RunResult, on_each_host
from infra.state import StatePaths

EXIT_OK, EXIT_FAILED, EXIT_PENDING, EXIT_INTERRUPTED = 0, 1, 3, 130
RecordFn = Callable[[Result], None]
# The adjacencies verification may demand of a device: (inventory, host, its intended config).
NeighboursFn = Callable[[Inventory, str, str], list[Neighbour]]
# the steps after which a device is changed and must reach a safe point before infra exits
UNSAFE_STEPS = frozenset({"push", "verify", "confirm", "save", "rollback"})


@dataclass
class DeployReport:
    run_id: str
    check: bool
    results: RunResult
    backup_commit: str | None = None
    stopped: str | None = None  # why the run stopped early (max-fail-percentage, interrupt)
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.results.failed:
            return EXIT_FAILED
        if self.check and self.results.changed_hosts:
            return EXIT_PENDING
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.results.failed:
            return "failed"
        return "check" if self.check else "ok"

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "check": self.check,
            "status": self.status,
            "exit_code": self.exit_code,
            "backup_commit": self.backup_commit,
            "stopped": self.stopped,
            "counts": self.results.counts(),
            "hosts": [r.as_dict() for r in self.results.results.values()],
        }


def inventory_neighbours(inv: Inventory, host: str, intended: str) -> list[Neighbour]:
    """A deploy's intent is the inventory's: the adjacencies it implies (verify.py)."""
    return intended_neighbours(inv, host)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + _random.token_hex(3)


@dataclass
class DeployRun:
    """One run's shared state, owned here and guarded by one lock: which devices are in which
    step, which were deployed or failed, their outcomes, and the interrupt."""

    inv: Inventory
    options: DeployOptions
    paths: StatePaths
    report: DeployReport
    intent: IntentFn = default_intent
    factory: DriverFactory = default_factory
    progress: Progress | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    neighbours: NeighboursFn = inventory_neighbours  # a restore's intent is a backup, not the inventory
    batch: frozenset[str] = frozenset()
    outcomes: dict[str, DeviceOutcome] = field(default_factory=dict)
    _deployed: set[str] = field(default_factory=set)
    _failed: set[str] = field(default_factory=set)
    _steps: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, host: str, step: str) -> None:
        with self._lock:
            self._steps[host] = step
        if self.progress:
            self.progress(host, step)

    def deployed(self, host: str) -> bool:
        with self._lock:
            return host in self._deployed

    def failed(self, host: str) -> bool:
        with self._lock:
            return host in self._failed

    def pushed(self, host: str) -> bool:
        """The device's push has begun in this run (it may still be verifying)."""
        with self._lock:
            return self._steps.get(host) in UNSAFE_STEPS or host in self._deployed

    def mark_deployed(self, host: str) -> None:
        with self._lock:
            self._deployed.add(host)

    def mark_failed(self, host: str) -> None:
        with self._lock:
            self._failed.add(host)

    def finish(self, outcome: DeviceOutcome) -> None:
        host = outcome.result.host
        with self._lock:
            self._steps[host] = "done"
            self.outcomes[host] = outcome
            if not outcome.result.ok:
                self._failed.add(host)

    def failures_in(self, names: frozenset[str]) -> int:
        with self._lock:
            return len(self._failed & names)

    def unsafe(self) -> dict[str, int]:
        """How many devices are changed but not yet at a safe point, per step."""
        with self._lock:
            counts: dict[str, int] = {}
            for step in self._steps.values():
                if step in UNSAFE_STEPS:
                    counts[step] = counts.get(step, 0) + 1
            return counts


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
    stop: threading.Event | None = None,
    on_start: Callable[[DeployRun], None] | None = None,
    neighbours: NeighboursFn = inventory_neighbours,
) -> DeployReport:
    hidden = prime_secrets(inv)
    mask = inv.secrets.mask
    journal = Journal(paths.journal, hidden)
    report = DeployReport(new_run_id(), options.check, RunResult())
    run = DeployRun(
        inv, options, paths, report, intent, factory, progress, stop or threading.Event(), neighbours
    )
    if on_start is not None:
        on_start(run)  # the CLI's signal handlers report on the run's devices
    command = mask(options.command if options.command else "infra " + shlex.join(sys.argv[1:]))
    comment = mask(options.comment)
    journal.start_run(report.run_id, command + (" (check)" if options.check else ""), comment)

    def record(result: Result) -> None:
        report.results.add(result)
        journal.record_device(report.run_id, result)

    try:
        # Three phases: the network, then the servers (the call controller among them), then the
        # codecs, whose verification needs a SIP registration across both.
        network = [h for h in hosts if h.is_network_device and has_driver(inv, h)]
        server_hosts = [h for h in hosts if h.is_server]
        endpoints = [h for h in hosts if has_driver(inv, h) and not h.is_network_device]
        for h in hosts:
            if not has_driver(inv, h) and not h.is_server:
                record(Result(h.name, skipped=True, message=f"nothing to deploy on {h.platform}"))
        _deploy_network(run, network, record)
        if servers is not None and server_hosts:
            if run.stop.is_set():
                for h in server_hosts:
                    record(Result(h.name, skipped=True, message="not started: interrupted"))
            else:
                for r in servers(inv, server_hosts, options.check, options.diff).results.values():
                    r.diff, r.message = mask(r.diff), mask(r.message)
                    record(r)
        _deploy_network(run, endpoints, record)
    finally:
        report.interrupted = run.stop.is_set()
        if report.interrupted and not report.stopped:
            report.stopped = "interrupted: no device started after the signal"
        if not options.check:
            report.backup_commit = _commit_backups(run, BackupRepo(paths.backups, hidden), comment)
        journal.finish_run(report.run_id, report.status, report.results.counts(), report.backup_commit)
    return report


def _deploy_network(run: DeployRun, network: list[Host], record: RecordFn) -> None:
    names = {h.name: h for h in network}
    options, report = run.options, run.report
    for batch in batches(list(names), options.serial):
        if report.stopped or run.stop.is_set():
            reason = report.stopped or "not started: interrupted"
            for name in batch:
                record(Result(name, skipped=True, message=reason))
            continue
        run.batch = frozenset(batch)
        _run_batch(run, [names[n] for n in batch], record)
        bad = sum(1 for n in batch if not report.results.results[n].ok)
        limit = options.max_fail_percentage
        if limit is not None and batch and 100.0 * bad / len(batch) > limit:
            report.stopped = (
                f"not started: {bad} of {len(batch)} devices of the previous batch failed, "
                f"more than --max-fail-percentage {limit:g}"
            )


def _run_batch(run: DeployRun, batch: list[Host], record: RecordFn) -> None:
    limit = run.options.max_fail_percentage

    def one(host: Host) -> Result:
        if limit is not None and 100.0 * run.failures_in(run.batch) / len(batch) > limit:
            outcome = DeviceOutcome(Result(host.name, skipped=True, message="not started: too many failures"))
        else:
            outcome = deploy_device(run, host)
        run.finish(outcome)
        return outcome.result

    on_each_host(
        batch,
        one,
        forks=run.options.forks,
        name=lambda h: h.name,
        mask=run.inv.secrets.mask,
        stop=run.stop,
        done=record,
    )


def _commit_backups(run: DeployRun, backups: BackupRepo, comment: str) -> str | None:
    """Two commits: the running configs found at the start (changes made outside infra), then
    the configs as this run left them."""
    run_line = f"run {run.report.run_id}" + (f": {comment}" if comment else "")
    outcomes = dict(run.outcomes)
    with backups.transaction():  # a backup run beside this one never sweeps these files up
        for name, o in outcomes.items():
            if o.before is not None:
                backups.write(name, o.before)
        backups.commit(f"before {run_line}\n\nrunning configs found at the start (changed outside infra)")
        for name, o in outcomes.items():
            if o.after is not None:
                backups.write(name, o.after)
        return backups.commit(f"{run_line}\n\n{_summary(run.report)}")


def _summary(report: DeployReport) -> str:
    lines = [f"{r.host}: {r.status.value} {r.message}".rstrip() for r in report.results.results.values()]
    return "\n".join(lines)
