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
from datetime import UTC, datetime

from infra.deploy.device import deploy_device
from infra.deploy.options import DeployOptions, ServerRunner, batches
from infra.deploy.runstate import (
    DeployReport,
    DeployRun,
    DeviceOutcome,
    NeighboursFn,
    inventory_neighbours,
)
from infra.drivers.targets import DriverFactory, default_factory, has_driver, prime_secrets
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.journal import Journal
from infra.render.intent import IntentFn, default_intent
from infra.results import Progress, Result, RunResult, on_each_host
from infra.state import StatePaths
from infra.state.backups import BackupRepo

RecordFn = Callable[[Result], None]


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
