"""Severity order and colours, shared by every page: a site's or device's colour is its worst
active alert."""

from __future__ import annotations

from collections.abc import Iterable

from infra.oncall.sources import Alert

ORDER = {"critical": 3, "warning": 2, "info": 1}
OK = "ok"
UNKNOWN = "unknown"  # Alertmanager is not answering: we cannot say green


def worst(alerts: Iterable[Alert]) -> str:
    """The worst severity among active (not inhibited, not silenced) alerts, or "ok"."""
    best, rank = OK, 0
    for a in alerts:
        r = ORDER.get(a.severity, 1)
        if a.active and r > rank:
            best, rank = a.severity or "info", r
    return best
