"""One device's deploy: backup -> diff -> push the remediation -> verify -> confirm -> save.

Any failure after the push, a failed verification or an expired revert timer restores the
backup taken at the start (the config read by `compare()`); the startup config is only written
once the change is confirmed, so a device rebooting mid-change comes back with its last good
config. If the restore itself fails (device unreachable for `restore_window_s`), the result
says the device needs attention.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from infra.deploy.lock import DeviceBusy, device_lock
from infra.deploy.options import DeployOptions, IntentFn, Progress
from infra.deploy.targets import target_for
from infra.deploy.verify import intended_neighbours, is_up, missing_neighbours, settle_time
from infra.drivers.base import ConnectionFailed, DeviceTarget, Driver, driver_for
from infra.drivers.configtree import Change, compare
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.results import Result

DriverFactory = Callable[[DeviceTarget], Driver]


def default_factory(target: DeviceTarget) -> Driver:
    return driver_for(target.platform)(target)


class VerificationFailed(Exception):
    pass


@dataclass
class DeviceJob:
    inv: Inventory
    host: Host
    intent: IntentFn
    options: DeployOptions
    locks_dir: Path
    batch: frozenset[str] = frozenset()
    deployed_ok: set[str] = field(default_factory=set)  # shared across the run's threads
    failed: set[str] = field(default_factory=set)
    factory: DriverFactory = default_factory
    progress: Progress | None = None


@dataclass
class DeviceOutcome:
    result: Result
    before: str | None = None  # masked running config at the start
    after: str | None = None  # masked running config at the end


def _step(job: DeviceJob, result: Result, step: str) -> None:
    result.task = step
    if job.progress:
        job.progress(job.host.name, step)


def deploy_device(job: DeviceJob) -> DeviceOutcome:
    host = job.host.name
    mask = job.inv.secrets.mask
    result = Result(host)
    out = DeviceOutcome(result)
    t0 = time.monotonic()
    try:
        with device_lock(job.locks_dir, host, "check" if job.options.check else "deploy"):
            _run(job, out)
    except DeviceBusy as exc:
        result.failed, result.message = True, str(exc)
    except ConnectionFailed as exc:
        result.unreachable, result.message = True, mask(str(exc))
    except Exception as exc:
        result.failed = True
        result.message = mask(str(exc)) or type(exc).__name__
        result.exception = mask(f"{type(exc).__name__}: {exc}")
    result.duration_s = time.monotonic() - t0
    if job.progress:
        job.progress(host, f"done:{result.status.value}")
    return out


def _run(job: DeviceJob, out: DeviceOutcome) -> None:
    inv, host, result, opts = job.inv, job.host, out.result, job.options
    mask = inv.secrets.mask
    session_log = opts.session_log_dir / f"{host.name}.log" if opts.session_log_dir else None
    target = target_for(inv, host, session_log)
    _step(job, result, "render")
    intended = job.intent(inv, host)
    _step(job, result, "connect")
    drv = job.factory(target)
    drv.open()
    try:
        _step(job, result, "backup")
        drv.load_candidate(intended)
        change = drv.compare()
        out.before = mask(drv.before or "")
        result.diff = mask(change.diff)
        result.details["remediation"] = [mask(line) for line in change.remediation]
        if change.empty:
            result.message = "no changes"
            out.after = out.before
            return
        result.changed = True
        if opts.check:
            result.message = f"{len(change.remediation)} lines would be sent"
            return
        expected = intended_neighbours(inv, host.name)
        pre_up = drv.neighbours_up() if expected else {"ospf": set(), "bgp": set()}
        _step(job, result, "push")
        try:
            drv.commit(change, revert_in=opts.confirm_timeout_s)
            pushed = time.monotonic()
            _step(job, result, "verify")
            settle = (
                settle_time(inv, host.name, change.remediation) if opts.settle_s is None else opts.settle_s
            )
            settle -= time.monotonic() - pushed
            # verification must end before the revert timer: keep a tenth of it (>= 5 s) to confirm
            budget = (
                opts.confirm_timeout_s - max(5.0, opts.confirm_timeout_s / 10) - (time.monotonic() - pushed)
            )
            verified = _verify(job, drv, target, intended, pre_up, settle, budget)
            _step(job, result, "confirm")
            drv.confirm()
        except Exception as exc:
            reason = mask(str(exc)) or type(exc).__name__
            if drv.expired:
                reason = (
                    f"the revert timer ({opts.confirm_timeout_s:g}s) expired before the change was "
                    f"confirmed, so the device went back to its previous config ({reason})"
                )
            _restore(job, drv, out, reason)
            return
        _step(job, result, "save")
        drv.save()
        out.after = mask(verified)  # read back by verification; saving does not change it
        result.message = f"{len(change.remediation)} lines applied and verified"
        job.deployed_ok.add(host.name)
    finally:
        drv.close()


def _verify(
    job: DeviceJob,
    drv: Driver,
    target: DeviceTarget,
    intended: str,
    pre_up: dict[str, set[str]],
    settle_s: float = 0.0,
    budget_s: float = float("inf"),
) -> str:
    """The running config read back, if every check passed; else VerificationFailed."""
    inv, host = job.inv, job.host.name
    problems: list[str] = []
    running = drv.get_running_config()
    left: Change = compare(drv.platform, running, intended)
    if not left.empty:
        shown = "; ".join(inv.secrets.mask(line.strip()) for line in left.remediation[:5])
        problems.append(f"drift left after the push ({len(left.remediation)} lines: {shown})")
    expected = [
        n
        for n in intended_neighbours(inv, host)
        if n.peer_host in job.batch or n.peer_host in job.deployed_ok or is_up(n, pre_up)
    ]
    if expected:
        started = time.monotonic()
        missing = missing_neighbours(
            drv.neighbours_up,
            expected,
            job.options.converge_wait_s,
            settle_s=settle_s,
            excused=lambda n: n.peer_host in job.failed,  # the far end failed: not this device's fault
            pending=lambda n: n.peer_host in job.batch and n.peer_host not in job.deployed_ok,
            deadline=time.monotonic() + budget_s,
        )
        if missing:
            problems.append(
                f"not up {time.monotonic() - started + max(settle_s, 0.0):.0f}s after the push: "
                + ", ".join(map(str, missing))
            )
    probe = job.factory(target)
    try:
        probe.open()
    except ConnectionFailed as exc:
        problems.append(f"management address unreachable after the push: {exc}")
    finally:
        probe.close()
    if problems:
        raise VerificationFailed("verification failed: " + "; ".join(problems))
    return running


def _restore(job: DeviceJob, drv: Driver, out: DeviceOutcome, reason: str) -> None:
    result, mask = out.result, job.inv.secrets.mask
    job.failed.add(job.host.name)  # peers still verifying stop waiting for this device
    _step(job, result, "rollback")
    result.task = "rollback"
    deadline = time.monotonic() + job.options.restore_window_s
    last = ""
    while True:
        try:
            drv.reconnect()
            drv.rollback()
            out.after = mask(drv.get_running_config())
            result.rolled_back = True
            result.changed = False
            result.message = f"{reason}; restored the backup taken before the push"
            return
        except Exception as exc:
            last = mask(f"{type(exc).__name__}: {exc}")
        if time.monotonic() >= deadline:
            break
        time.sleep(2.0)
    result.failed = True
    result.details["needs_attention"] = True
    result.message = (
        f"NEEDS ATTENTION: {reason}; restoring the backup failed for "
        f"{job.options.restore_window_s:g}s ({last}); the backup is in the backup repository"
    )
