"""The per-host Result and the run aggregate (nornir's shape): every action returns these.

Network deploys (Netmiko drivers) and server runs (ansible-runner events) both produce
`Result`s, so one summary, one journal entry and one exit code cover a whole run. Tasks never
print; the CLI renders results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    SKIPPED = "skipped"
    ROLLED_BACK = "rolled_back"


@dataclass
class Result:
    """What happened to one host in one run."""

    host: str
    changed: bool = False
    failed: bool = False
    unreachable: bool = False
    skipped: bool = False
    rolled_back: bool = False
    diff: str = ""
    message: str = ""
    task: str | None = None  # the step or Ansible task that failed
    exception: str | None = None  # exception type and text, secrets masked
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        if self.unreachable:
            return Status.UNREACHABLE
        if self.rolled_back:
            return Status.ROLLED_BACK
        if self.failed:
            return Status.FAILED
        if self.skipped:
            return Status.SKIPPED
        return Status.CHANGED if self.changed else Status.OK

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unreachable or self.rolled_back)

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "status": self.status.value,
            "changed": self.changed,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "rolled_back": self.rolled_back,
            "message": self.message,
            "task": self.task,
            "exception": self.exception,
            "duration_s": round(self.duration_s, 3),
            "diff": self.diff,
            "details": self.details,
        }


@dataclass
class RunResult:
    """All hosts of one run."""

    results: dict[str, Result] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        self.results[result.host] = result

    @property
    def failed_hosts(self) -> list[str]:
        return [h for h, r in self.results.items() if not r.ok]

    @property
    def changed_hosts(self) -> list[str]:
        return [h for h, r in self.results.items() if r.changed]

    @property
    def failed(self) -> bool:
        return bool(self.failed_hosts)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {s.value: 0 for s in Status}
        for r in self.results.values():
            out[r.status.value] += 1
        return out
