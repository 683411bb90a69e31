"""Readiness results as Prometheus metrics, for node exporter's textfile collector (dashboards,
the "readiness check failing for a scheduled meeting" alert):

    infra_vc_ready{endpoint,site,meeting}                1 ready, 0 not
    infra_vc_check_failed{endpoint,check,meeting}        1 for the endpoint's first failing check, else 0
    infra_vc_call_mos{endpoint,site,meeting}             MOS estimate of the test call
    infra_vc_call_loss_ratio{endpoint,site,meeting}      packet loss, 0..1 (worst direction)
    infra_vc_call_jitter_seconds{endpoint,site,meeting}  jitter (worst channel)
    infra_vc_check_timestamp_seconds{meeting}            when the check finished

`meeting` is empty for a check not run for a meeting (`--meeting`). Each meeting writes its own
file (`vc_check-<meeting>.prom`) so the collector never sees one series twice; the file is
replaced atomically.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from infra.monitoring.journal_metrics import write_textfile
from infra.vc.model import Readiness

HELP = (
    ("infra_vc_ready", "1 when the VC endpoint passed every readiness check of `infra vc check`."),
    ("infra_vc_check_failed", "1 for the endpoint's first failing readiness check, 0 for the others it ran."),
    ("infra_vc_call_mos", "MOS estimate (E-model, ITU-T G.107 simplified) of the readiness test call."),
    ("infra_vc_call_loss_ratio", "Packet loss of the readiness test call, worst direction (0..1)."),
    ("infra_vc_call_jitter_seconds", "Jitter of the readiness test call, worst media channel."),
    ("infra_vc_check_timestamp_seconds", "When `infra vc check` last finished, per meeting."),
)


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items()) + "}"


def readiness_metrics(results: Sequence[Readiness], meeting: str | None, now: float | None = None) -> str:
    series: dict[str, list[str]] = {name: [] for name, _ in HELP}
    m = meeting or ""
    for r in results:
        ep = r.endpoint
        base = _labels(endpoint=ep.host, site=ep.site, meeting=m)
        series["infra_vc_ready"].append(f"infra_vc_ready{base} {int(r.ready)}")
        bad = r.first_failure
        for c in r.checks:
            flag = int(bad is not None and c.name == bad.name)
            series["infra_vc_check_failed"].append(
                f"infra_vc_check_failed{_labels(endpoint=ep.host, check=c.name, meeting=m)} {flag}"
            )
        if r.call is not None:
            series["infra_vc_call_mos"].append(f"infra_vc_call_mos{base} {r.call.mos:.3f}")
            series["infra_vc_call_loss_ratio"].append(
                f"infra_vc_call_loss_ratio{base} {r.call.loss_ratio:.6f}"
            )
            series["infra_vc_call_jitter_seconds"].append(
                f"infra_vc_call_jitter_seconds{base} {r.call.jitter_ms / 1000:.6f}"
            )
    stamp = time.time() if now is None else now
    series["infra_vc_check_timestamp_seconds"].append(
        f"infra_vc_check_timestamp_seconds{_labels(meeting=m)} {stamp:.0f}"
    )
    lines: list[str] = []
    for name, text in HELP:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", *series[name]]
    return "\n".join(lines) + "\n"


def metrics_path(directory: Path, meeting: str | None) -> Path:
    return directory / (f"vc_check-{meeting}.prom" if meeting else "vc_check.prom")


def write_metrics(results: Sequence[Readiness], meeting: str | None, out: Path) -> Path:
    write_textfile(readiness_metrics(results, meeting), out)
    return out
