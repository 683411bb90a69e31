"""One device's deploy: backup -> diff -> push the remediation -> verify -> confirm -> save.

Any failure after the push, a failed verification or an expired revert timer restores the
backup taken at the start (the config read by `compare()`); the startup config is only written
once the change is confirmed, so a device rebooting mid-change comes back with its last good
config. If the restore itself fails (device unreachable for `restore_window_s`), the result
says the device needs attention (`details["needs_attention"]`: its state is unknown).

The running config is also compared with the startup config: a device whose running config
differs from what it would boot with (a change applied but never saved, e.g. by a device that
froze mid-push and applied its buffered lines later) has "unsaved changes", which `--check`
reports and a deploy reconciles by saving once running matches the intent.

An interrupt before the push leaves the device untouched; after it, the device is taken to a
safe point first (verified and confirmed, or restored).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from infra.deploy.lock import DeviceBusy, device_lock
from infra.deploy.runstate import DeployRun, DeviceOutcome
from infra.deploy.verify import (
    Neighbour,
    PeerNames,
    Requirement,
    missing_neighbours,
    required_after,
    settle_time,
    touches_adjacencies,
    touches_login,
)
from infra.drivers.base import ConnectionFailed, DeviceTarget, Driver
from infra.drivers.configtree import Change, compare
from infra.drivers.neighbours import Adjacencies
from infra.drivers.targets import target_for
from infra.inventory.models import Host
from infra.results import Result, failure


class VerificationFailed(Exception):
    pass


@dataclass
class _Device:
    """One device within a run: what verification needs, computed once."""

    run: DeployRun
    name: str
    target: DeviceTarget
    intended_neighbours: list[Neighbour]
    names: PeerNames
    out: DeviceOutcome

    def step(self, step: str) -> None:
        self.out.result.task = step
        self.run.step(self.name, step)


def deploy_device(run: DeployRun, host: Host) -> DeviceOutcome:
    inv, opts = run.inv, run.options
    result = Result(host.name)
    out = DeviceOutcome(result)
    t0 = time.monotonic()
    try:
        with device_lock(run.paths.locks, host.name, "check" if opts.check else "deploy"):
            session_log = opts.session_log_dir / f"{host.name}.log" if opts.session_log_dir else None
            text = run.intent(inv, host)
            intended = run.neighbours(inv, host.name, text)
            dev = _Device(
                run, host.name, target_for(inv, host, session_log), intended,
                PeerNames(inv, host.name, intended), out,
            )  # fmt: skip
            _run(dev, text)
    except DeviceBusy as exc:
        result.failed, result.message = True, str(exc)
    except Exception as exc:
        failed = failure(host.name, exc, inv.secrets.mask)
        result.failed, result.unreachable = failed.failed, failed.unreachable
        result.message, result.exception = failed.message, failed.exception
        if isinstance(exc, ConnectionFailed):
            result.exception = None
    result.duration_s = time.monotonic() - t0
    if run.progress:
        run.progress(host.name, f"done:{result.status.value}")
    return out


def _run(dev: _Device, intended: str) -> None:
    run, result, opts = dev.run, dev.out.result, dev.run.options
    mask = run.inv.secrets.mask
    dev.step("connect")
    drv = run.factory(dev.target)
    drv.open()
    try:
        dev.step("backup")
        drv.load_candidate(intended)
        change = drv.compare()
        running = drv.before or ""
        dev.out.before = mask(running)
        # unsaved changes only matter when nothing is pushed (save them) or in --check (report
        # them): a push ends with a save that reconciles them anyway
        unsaved = _unsaved(drv, running) if change.empty or opts.check else 0
        result.diff = mask(change.diff)
        result.details["remediation"] = [mask(line) for line in change.remediation]
        if unsaved:
            result.details["unsaved"] = unsaved
        if change.empty and not unsaved:
            result.message = "no changes"
            dev.out.after = dev.out.before
            return
        result.changed = True
        if opts.check:
            result.message = _pending(change, unsaved)
            return
        if run.stop.is_set():
            result.changed, result.skipped = False, True
            result.message = "interrupted before the push: nothing was sent"
            dev.out.after = dev.out.before
            return
        if change.empty:  # running matches intent but would not survive a reboot: save it
            dev.step("save")
            drv.save()
            dev.out.after = dev.out.before
            result.message = f"saved unsaved changes ({unsaved} lines differed from the startup config)"
            run.mark_deployed(dev.name)
            return
        routing = bool(dev.intended_neighbours)
        # what was up before, for verification to demand it back: unless the change cannot
        # touch an adjacency (only banners, NTP, SNMP, unused filter lists, ...: verify.py)
        reads = routing and touches_adjacencies(change.remediation, (running, intended))
        before: Adjacencies = drv.neighbours_up() if reads else frozenset()
        dev.step("push")
        try:
            drv.commit(change, revert_in=opts.confirm_timeout_s)
            pushed = time.monotonic()
            dev.step("verify")
            settle = (
                settle_time(run.inv, dev.name, change.remediation, routing)
                if opts.settle_s is None
                else opts.settle_s
            )
            settle -= time.monotonic() - pushed
            # verification must end before the revert timer: keep a tenth of it (>= 5 s) to confirm
            budget = (
                opts.confirm_timeout_s - max(5.0, opts.confirm_timeout_s / 10) - (time.monotonic() - pushed)
            )
            verified = _verify(dev, drv, intended, change.remediation, before, settle, budget)
            dev.step("confirm")
            drv.confirm()
        except Exception as exc:
            reason = mask(str(exc)) or type(exc).__name__
            if drv.expired:
                reason = (
                    f"the revert timer ({opts.confirm_timeout_s:g}s) expired before the change was "
                    f"confirmed, so the device went back to its previous config ({reason})"
                )
            _restore(dev, drv, reason)
            return
        dev.step("save")
        drv.save()
        dev.out.after = mask(verified)  # read back by verification; saving does not change it
        result.message = f"{len(change.remediation)} lines applied and verified"
        run.mark_deployed(dev.name)
    finally:
        drv.close()


def _unsaved(drv: Driver, running: str) -> int:
    """How many lines the startup config lacks to match the running one (0: saved)."""
    startup = drv.get_startup_config()
    if startup is None:
        return 0
    return len(compare(drv.platform, startup, running).remediation)


def _pending(change: Change, unsaved: int) -> str:
    parts = []
    if not change.empty:
        parts.append(f"{len(change.remediation)} lines would be sent")
    if unsaved:
        parts.append(f"unsaved changes: the startup config differs from running ({unsaved} lines)")
    return "; ".join(parts)


def _verify(
    dev: _Device,
    drv: Driver,
    intended: str,
    remediation: tuple[str, ...],
    before: Adjacencies,
    settle_s: float = 0.0,
    budget_s: float = float("inf"),
) -> str:
    """The running config read back, if every check passed; else VerificationFailed."""
    run = dev.run
    problems: list[str] = []
    deadline = time.monotonic() + budget_s
    expected = required_after(
        before,
        dev.intended_neighbours,
        dev.names,
        lambda peer: peer in run.batch or run.deployed(peer),
    )
    if expected and settle_s > 0:  # an OSPF change can take the dead interval to break an adjacency
        time.sleep(settle_s)
    # a fresh management login (or, when the change cannot affect logins, the SSH server's
    # banner), on its own connection while this session reads the device back
    login = touches_login(remediation, (drv.before or "", intended))
    probe_error: list[BaseException] = []
    probe = threading.Thread(target=_probe, args=(run.factory(dev.target), login, probe_error), daemon=True)
    probe.start()
    try:
        running = _read_back(dev, drv, intended, expected, settle_s, deadline, problems)
        wait = min(run.options.converge_wait_s, deadline - time.monotonic())
        problems += [run.inv.secrets.mask(p) for p in drv.verify_applied(remediation, max(wait, 0.0))]
    finally:
        probe.join()
    for exc in probe_error:
        if not isinstance(exc, ConnectionFailed):
            raise exc
        problems.append(f"management address unreachable after the push: {exc}")
    if problems:
        raise VerificationFailed("verification failed: " + "; ".join(problems))
    return running


def _read_back(
    dev: _Device,
    drv: Driver,
    intended: str,
    expected: list[Requirement],
    settle_s: float,
    deadline: float,
    problems: list[str],
) -> str:
    """Read the running config and the adjacencies back; add what is wrong to `problems`."""
    run, mask = dev.run, dev.run.inv.secrets.mask
    running = drv.get_running_config()
    left: Change = compare(drv.platform, running, intended)
    if not left.empty:
        shown = "; ".join(mask(line.strip()) for line in left.remediation[:5])
        problems.append(f"drift left after the push ({len(left.remediation)} lines: {shown})")
    if expected:
        started = time.monotonic()

        def peer_of(n: Requirement) -> str:
            return n.peer_host

        def excused(n: Requirement) -> bool:
            # the far end failed (not this device's fault), or an interrupt means it never comes
            peer = peer_of(n)
            return bool(peer) and (run.failed(peer) or (run.stop.is_set() and not run.pushed(peer)))

        missing = missing_neighbours(
            drv.neighbours_up,
            expected,
            run.options.converge_wait_s,
            who=dev.names,
            excused=excused,
            pending=lambda n: peer_of(n) in run.batch and not run.deployed(peer_of(n)),
            deadline=deadline,
        )
        if missing:
            problems.append(
                f"not up {time.monotonic() - started + max(settle_s, 0.0):.0f}s after the push: "
                + ", ".join(map(str, missing))
            )
    return running


def _probe(probe: Driver, login: bool, error: list[BaseException]) -> None:
    try:
        probe.probe(login)
    except BaseException as exc:  # handed to the verifying thread
        error.append(exc)


def _restore(dev: _Device, drv: Driver, reason: str) -> None:
    run, result, mask = dev.run, dev.out.result, dev.run.inv.secrets.mask
    run.mark_failed(dev.name)  # peers still verifying stop waiting for this device
    dev.step("rollback")
    deadline = time.monotonic() + run.options.restore_window_s
    last = ""
    while True:
        try:
            drv.reconnect()
            drv.rollback()
            dev.out.after = mask(drv.get_running_config())
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
        f"{run.options.restore_window_s:g}s ({last}); its state is unknown: check it by hand, "
        "then run `infra deploy` on it (the backup is in the backup repository)"
    )
