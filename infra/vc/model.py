"""The readiness check's vocabulary: endpoints, checks, their outcomes and the per-endpoint verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from infra.vc.quality import CallQuality

# the checks, in the order they run; an endpoint stops at its first failure
CHECKS = ("reachable", "login", "config", "registered", "test call", "dscp", "headroom")


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # could not be determined (Prometheus down): not ready, not a pass
    NOT_OBSERVED = "not observed"  # nothing can observe it here (DSCP in production)
    SKIPPED = "skipped"  # not run: an earlier check failed, or the operator skipped it


PASS, FAIL, UNKNOWN, NOT_OBSERVED, SKIPPED = (
    Outcome.PASS,
    Outcome.FAIL,
    Outcome.UNKNOWN,
    Outcome.NOT_OBSERVED,
    Outcome.SKIPPED,
)


@dataclass(frozen=True)
class Endpoint:
    """One codec to check, with what the checks need to know about its place in the network."""

    host: str
    site: str
    agency: str
    site_kind: str  # "department", "commune", ...
    address: str  # management address
    port: int = 22
    wan_link: str | None = None  # the site's WAN-VPN tunnel
    wan_link_mbps: int | None = None
    cpe: str | None = None
    bitrate_kbps: int | None = None  # the meeting's (or the largest meeting naming it)
    sharing: int = 1  # endpoints of this check at the same site: they share the WAN link


@dataclass(frozen=True)
class Thresholds:
    call_setup_s: float = 5.0
    sample_s: float = 6.0
    max_loss_pct: float = 1.0
    max_jitter_ms: float = 30.0
    min_mos: float = 3.6


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: Outcome
    message: str = ""
    advice: str = ""  # what to do
    duration_s: float = 0.0

    @property
    def blocks(self) -> bool:
        """Makes the endpoint not ready."""
        return self.outcome in (Outcome.FAIL, Outcome.UNKNOWN)


@dataclass
class Readiness:
    endpoint: Endpoint
    meeting: str | None = None
    checks: list[CheckResult] = field(default_factory=list)
    call: CallQuality | None = None
    duration_s: float = 0.0

    @property
    def first_failure(self) -> CheckResult | None:
        return next((c for c in self.checks if c.blocks), None)

    @property
    def ready(self) -> bool:
        return self.first_failure is None

    def outcome_of(self, name: str) -> Outcome:
        return next((c.outcome for c in self.checks if c.name == name), Outcome.SKIPPED)

    def line(self) -> str:
        """The operator's one line: the first failing check and what to do, or ready (with notes)."""
        bad = self.first_failure
        if bad is not None:
            return f"{bad.message} -> {bad.advice}" if bad.advice else bad.message
        notes = [c.message for c in self.checks if c.outcome in (Outcome.NOT_OBSERVED, Outcome.SKIPPED)]
        return "ready" + (f" ({'; '.join(notes)})" if notes else "")

    def as_dict(self) -> dict[str, Any]:
        bad = self.first_failure
        ep = self.endpoint
        return {
            "endpoint": ep.host,
            "site": ep.site,
            "agency": ep.agency,
            "meeting": self.meeting,
            "ready": self.ready,
            "failed_check": bad.name if bad else None,
            "message": self.line(),
            "wan_link": ep.wan_link,
            "duration_s": round(self.duration_s, 3),
            "checks": [
                {
                    "name": c.name,
                    "outcome": c.outcome.value,
                    "message": c.message,
                    "advice": c.advice,
                    "duration_s": round(c.duration_s, 3),
                }
                for c in self.checks
            ],
            "call": self.call.as_dict() if self.call else None,
        }


@dataclass(frozen=True)
class CheckPlan:
    """What one run checks: the endpoints (with the meeting's bitrate) and against what."""

    meeting: str | None
    endpoints: list[Endpoint]
    test_room_uri: str
    call_controller: str
    thresholds: Thresholds
