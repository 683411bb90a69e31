"""A `vc check` run: every endpoint in parallel (`on_each_host`), the journal, the metrics file.

Each endpoint's checks run in one worker (`forks` at a time); the test calls among them are
limited separately by the Toolkit's `calls` semaphore, since the test room takes only so many
calls at once. The journal records the run as `infra vc check ...` with one device result per
endpoint (ok when ready; unreachable when it failed at reachable/login; failed otherwise),
recorded as soon as each endpoint is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.deploy.run import new_run_id
from infra.journal import Journal
from infra.results import Result, on_each_host
from infra.vc.checks import Toolkit, check_endpoint
from infra.vc.metrics import write_metrics
from infra.vc.model import CheckPlan, CheckResult, Endpoint, Outcome, Readiness

EXIT_OK, EXIT_NOT_READY, EXIT_INTERRUPTED = 0, 1, 130
UNREACHABLE_CHECKS = frozenset({"reachable", "login"})


@dataclass
class VcReport:
    run_id: str
    meeting: str | None
    results: list[Readiness] = field(default_factory=list)
    interrupted: bool = False
    metrics_file: Path | None = None

    @property
    def ready(self) -> bool:
        return all(r.ready for r in self.results)

    @property
    def status(self) -> str:
        return "interrupted" if self.interrupted else "ok" if self.ready else "failed"

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.ready else EXIT_NOT_READY

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "meeting": self.meeting,
            "status": self.status,
            "exit_code": self.exit_code,
            "metrics_file": str(self.metrics_file) if self.metrics_file else None,
        }


def as_result(r: Readiness) -> Result:
    bad = r.first_failure
    return Result(
        r.endpoint.host,
        failed=bad is not None and bad.name not in UNREACHABLE_CHECKS,
        unreachable=bad is not None and bad.name in UNREACHABLE_CHECKS,
        message=r.line(),
        task=bad.name if bad else None,
        duration_s=r.duration_s,
    )


def _from_result(ep: Endpoint, res: Result, meeting: str | None) -> Readiness:
    """An endpoint whose checks did not run to a verdict (not started, or a bug escaped)."""
    name = "not started" if res.skipped else "error"
    text = res.message + (f" ({res.exception})" if res.exception and res.exception != res.message else "")
    return Readiness(ep, meeting, [CheckResult(name, Outcome.UNKNOWN, text)], duration_s=res.duration_s)


def run_checks(
    plan: CheckPlan,
    tk: Toolkit,
    *,
    forks: int,
    journal: Journal | None = None,
    command: str = "infra vc check",
    metrics_file: Path | None = None,
    progress: Callable[[Readiness], None] | None = None,
) -> VcReport:
    report = VcReport(new_run_id(), plan.meeting, metrics_file=metrics_file)
    if journal is not None:
        journal.start_run(report.run_id, tk.mask(command))
    verdicts: dict[str, Readiness] = {}
    lock = threading.Lock()

    def action(ep: Endpoint) -> Result:
        r = check_endpoint(ep, tk, plan.meeting)
        with lock:
            verdicts[ep.host] = r
        if progress is not None:
            progress(r)
        return as_result(r)

    def done(res: Result) -> None:
        if journal is not None:
            journal.record_device(report.run_id, res)

    results: list[Result] = []
    try:
        results = on_each_host(
            plan.endpoints, action, forks=forks, name=lambda e: e.host, mask=tk.mask, stop=tk.stop, done=done
        )
    finally:
        by_host = {r.host: r for r in results}
        for ep in plan.endpoints:
            verdict = verdicts.get(ep.host)
            res = by_host.get(ep.host)
            if verdict is None:
                res = res or Result(ep.host, skipped=True, message="not started: interrupted")
                verdict = _from_result(ep, res, plan.meeting)
            report.results.append(verdict)
        report.interrupted = tk.stop.is_set()
        if metrics_file is not None:
            write_metrics(report.results, plan.meeting, metrics_file)
        if journal is not None:
            counts = {"ready": sum(r.ready for r in report.results)}
            counts["not_ready"] = len(report.results) - counts["ready"]
            journal.finish_run(report.run_id, report.status, counts, None)
    return report
