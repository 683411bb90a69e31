"""A deploy run's shared state: its report (and exit code), each device's outcome, and the
`DeployRun` that the run (`run.py`) owns and every device (`device.py`) reads and updates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.deploy.options import DeployOptions
from infra.deploy.verify import Neighbour, intended_neighbours
from infra.drivers.targets import DriverFactory, default_factory
from infra.inventory import Inventory
from infra.render.intent import IntentFn, default_intent
from infra.results import Progress, Result, RunResult
from infra.state import StatePaths

EXIT_OK, EXIT_FAILED, EXIT_PENDING, EXIT_INTERRUPTED = 0, 1, 3, 130
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


@dataclass
class DeviceOutcome:
    result: Result
    before: str | None = None  # masked running config at the start
    after: str | None = None  # masked running config at the end


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
