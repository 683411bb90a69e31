"""`vc check` output: a table line per endpoint for people, JSON for tools, JUnit XML for CI
(one testcase per endpoint, through the audit's JUnit writer: a failed check is a `<failure>`,
an unknown one an `<error>`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from infra.audit.report import Check, as_junit
from infra.vc.model import Outcome, Readiness


def summary(results: Sequence[Readiness], meeting: str | None) -> str:
    ready = sum(r.ready for r in results)
    what = f" for {meeting}" if meeting else ""
    return f"{ready} of {len(results)} endpoints ready{what}"


def as_table(results: Sequence[Readiness]) -> str:
    header = ("endpoint", "site", "agency", "check", "result")
    rows = [
        (
            r.endpoint.host,
            r.endpoint.site,
            r.endpoint.agency,
            r.first_failure.name if r.first_failure else "-",
            r.line(),
        )
        for r in results
    ]
    if not rows:
        return "(nothing)"
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header[:-1])]
    out = ["  ".join(h.upper().ljust(w) for h, w in zip(header, [*widths, 0], strict=True)).rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, [*widths, 0], strict=True)).rstrip() for row in rows]
    return "\n".join(out)


def as_json(results: Sequence[Readiness], extra: dict[str, Any]) -> str:
    doc = {
        **extra,
        "ready": sum(r.ready for r in results),
        "not_ready": sum(not r.ready for r in results),
        "endpoints": [r.as_dict() for r in results],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _check(r: Readiness, meeting: str | None) -> Check:
    bad = r.first_failure
    status = "pass" if bad is None else ("error" if bad.outcome == Outcome.UNKNOWN else "fail")
    detail = "\n".join(
        f"{c.name}: {c.outcome.value}: {c.message}" + (f" -> {c.advice}" if c.advice else "")
        for c in r.checks
    )
    return Check(
        f"vc check {meeting}" if meeting else "vc check",
        r.endpoint.host,
        status,
        r.line(),
        detail,
        r.duration_s,
    )


def as_junit_xml(results: Sequence[Readiness], meeting: str | None) -> str:
    return as_junit([_check(r, meeting) for r in results], suite="infra vc check")


def render(results: Sequence[Readiness], fmt: str, meeting: str | None, extra: dict[str, Any]) -> str:
    if fmt == "json":
        return as_json(results, extra)
    if fmt == "junit":
        return as_junit_xml(results, meeting)
    return as_table(results) + "\n\n" + summary(results, meeting)
