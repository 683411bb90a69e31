"""What changed in the hour before an alert started: deploys, drift checks and other journal
entries for the alert's devices or any device of its site, and backup commits that touched them.

One journal query and one `git log` per stretch of time the page's alerts cover (overlapping
hours merge into one), then each group picks its own from indexes: O(alerts + entries), never a
query per alert.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.journal.db import DeviceEntry, Journal
from infra.oncall.rootcause import Group, Topology
from infra.state import StatePaths
from infra.state.backups import BackupCommit, BackupError, BackupRepo

BEFORE = timedelta(hours=1)
MAX_PER_GROUP = 20


@dataclass(frozen=True)
class Change:
    when: datetime
    kind: str  # deploy | drift check | audit | backup | the journal's command
    hosts: tuple[str, ...]
    text: str


def _kind(command: str) -> str:
    if command.endswith("(check)"):
        return "drift check"
    for word in ("audit", "vc check", "deploy", "backup"):
        if word in command:
            return word
    return command.split()[1] if command.startswith("infra ") and len(command.split()) > 1 else command


def _entry(e: DeviceEntry) -> Change:
    status = e.status + (", changed" if e.changed else "")
    message = f": {e.message[:200]}" if e.message else ""
    comment = f" ({e.comment[:120]})" if e.comment else ""
    return Change(
        datetime.fromisoformat(e.finished),
        _kind(e.command),
        (e.host,),
        f"{e.command} by {e.user}{comment} — {status}{message}",
    )


def _commit(c: BackupCommit) -> Change:
    return Change(c.when, "backup", c.hosts, f"backup commit {c.id[:10]}: {c.subject[:160]}")


def _windows(starts: list[datetime]) -> list[tuple[datetime, datetime]]:
    """The hours before each start, overlapping ones merged."""
    merged: list[tuple[datetime, datetime]] = []
    for s in sorted(starts):
        lo = s - BEFORE
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], s))
        else:
            merged.append((lo, s))
    return merged


@dataclass
class _Index:
    """Changes sorted by time, per device and per site."""

    by_host: dict[str, list[Change]]
    by_site: dict[str, list[Change]]


def _index(changes: list[Change], topo: Topology) -> _Index:
    by_host: dict[str, list[Change]] = defaultdict(list)
    by_site: dict[str, list[Change]] = defaultdict(list)
    for c in sorted(changes, key=lambda c: c.when):
        sites = set()
        for h in c.hosts:
            by_host[h].append(c)
            site = topo.site_of_host.get(h)
            if site:
                sites.add(site)
        for site in sites:
            by_site[site].append(c)
    return _Index(by_host, by_site)


def _between(changes: list[Change], lo: datetime, hi: datetime) -> list[Change]:
    """The changes in [lo, hi] of a list sorted by time (bisect on a key: Python 3.10+)."""
    return changes[bisect_left(changes, lo, key=_when) : bisect_right(changes, hi, key=_when)]


def _when(c: Change) -> datetime:
    return c.when


def what_changed(
    groups: list[Group], topo: Topology, state: StatePaths
) -> tuple[dict[str, list[Change]], list[str]]:
    """Group id -> its changes (newest first), and problems reading the journal or the backups."""
    if not groups:
        return {}, []
    problems: list[str] = []
    found: list[Change] = []
    windows = _windows([g.root.starts_at for g in groups])
    if state.journal.exists():
        try:
            journal = Journal(state.journal)
            for lo, hi in windows:
                found += [_entry(e) for e in journal.device_results_between(lo, hi)]
        except (sqlite3.Error, OSError) as exc:
            problems.append(f"the journal {state.journal} cannot be read ({exc})")
    try:
        repo = BackupRepo(state.backups)
        for lo, hi in windows:
            found += [_commit(c) for c in repo.commits_between(lo, hi)]
    except (BackupError, OSError, ValueError) as exc:
        problems.append(f"the backup repository {state.backups} cannot be read ({exc})")
    index = _index(found, topo)
    result: dict[str, list[Change]] = {}
    for g in groups:
        hi = g.root.starts_at
        lo = hi - BEFORE
        hosts = {a.host for a in g.alerts if a.host} | {p for p in (g.root.labels.get("peer_host", ""),) if p}
        mine: dict[int, Change] = {}
        for h in hosts:
            for c in _between(index.by_host.get(h, []), lo, hi):
                mine[id(c)] = c
        site = g.root.site or topo.site_of_host.get(g.root.host, "")
        if site:
            for c in _between(index.by_site.get(site, []), lo, hi):
                mine[id(c)] = c
        result[g.id] = sorted(mine.values(), key=lambda c: c.when, reverse=True)[:MAX_PER_GROUP]
    return result, problems
