"""The per-host Result and the run aggregate (nornir's shape): every action returns these.

Network deploys (Netmiko drivers) and server runs (ansible-runner events) both produce
`Result`s, so one summary, one journal entry and one exit code cover a whole run. Tasks never
print; the CLI renders results.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

H = TypeVar("H")
# Progress callback: (host, step) -- a deploy's steps: connect, backup, diff, push, verify, confirm,
# save, rollback; every per-host run ends a host with done:<status>
Progress = Callable[[str, str], None]


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


class HostUnreachable(Exception):
    """Raised for a host that could not be reached or logged into (drivers subclass it), so the
    one place below turns it into an `unreachable` Result instead of a failed one."""


def failure(host: str, exc: BaseException, mask: Callable[[str], str] = str) -> Result:
    """The one place where a host's exception becomes its Result (nornir's shape): unreachable
    for a connection failure, failed otherwise; the text masked, the type kept for bugs."""
    text = mask(str(exc))
    if isinstance(exc, HostUnreachable):
        return Result(host, unreachable=True, message=text or type(exc).__name__)
    return Result(
        host, failed=True, message=text or type(exc).__name__, exception=mask(f"{type(exc).__name__}: {exc}")
    )


def on_each_host(
    hosts: Sequence[H],
    action: Callable[[H], Result],
    *,
    forks: int,
    name: Callable[[H], str],
    mask: Callable[[str], str] = str,
    stop: threading.Event | None = None,
    done: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Run `action` on every host, `forks` at a time; one host's exception never stops the
    others (it becomes that host's Result through `failure`). Once `stop` is set, hosts not yet
    started are skipped ("not started: interrupted"); those running finish. Results come back
    in the order of `hosts`; `done` sees each as soon as it is known (journal, progress)."""

    def one(h: H) -> Result:
        if stop is not None and stop.is_set():
            result = Result(name(h), skipped=True, message="not started: interrupted")
        else:
            t0 = time.monotonic()
            try:
                result = action(h)
            except Exception as exc:
                result = failure(name(h), exc, mask)
            if not result.duration_s:
                result.duration_s = time.monotonic() - t0
        if done is not None:
            done(result)
        return result

    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(forks, len(hosts)))) as pool:
        return list(pool.map(one, hosts))
