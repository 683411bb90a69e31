"""Which interfaces the Device page charts when a device has more than a screenful of them.

A WAN hub has thousands of tunnel interfaces: charting each costs seconds and megabytes, and no one
reads 2,400 charts. Past `CHART_AT_MOST` interfaces the page charts those that matter, in this
order until the count is reached:

1. down: `ifOperStatus` other than 1 (up) — the inventory lists only interfaces meant to be up;
2. erroring: in or out errors during the range (the most errors first);
3. the busiest: the highest in or out rate, averaged over the range (a quarter of the places is
   kept for them).

Prometheus does the ranking (`topk`), so it answers with a dozen series, not thousands; one range
query per line family then fetches only the picked interfaces (`ifName=~"a|b|c"`). Every other
interface is a row of the table with its state and current rate (one instant query for all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CHART_AT_MOST = 12

# Why an interface is charted, in the operator's words (the page says it, the JSON carries it).
DOWN, ERRORS, BUSIEST, ASKED, ALL = "down", "errors", "busiest", "asked", "all"

# RE2's metacharacters; every other character of an interface name stands for itself.
_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def re2_literal(text: str) -> str:
    """`text` as an RE2 regular expression matching exactly it."""
    return "".join("\\" + c if c in _RE2_SPECIAL else c for c in text)


def ifname_regex(names: Iterable[str]) -> str:
    """`a|b|c` matching exactly these names (Prometheus anchors a label regex at both ends)."""
    return "|".join(re2_literal(n) for n in names)


def erroring_query(sel: str, seconds: int, n: int) -> str:
    """The `n` interfaces with the most errors (in + out) during the range, only those with any."""
    total = (
        f'label_replace(increase(ifInErrors{sel}[{seconds}s]), "direction", "in", "", "") or '
        f'label_replace(increase(ifOutErrors{sel}[{seconds}s]), "direction", "out", "", "")'
    )
    return f"topk({n}, sum by (ifName) ({total})) > 0"


def busiest_query(sel: str, seconds: int, n: int) -> str:
    """The `n` interfaces with the highest in or out rate (bit/s) averaged over the range.

    The average (`rate` over the whole range) rather than the peak (`max_over_time` of a subquery):
    Prometheus reads each counter's samples once instead of once per step, which on a hub's
    thousands of interfaces over 24 hours is the difference between milliseconds and seconds;
    an interface busy for a minute is in the table with its current rate anyway."""
    average = (
        f'label_replace(rate(ifHCInOctets{sel}[{seconds}s]), "direction", "in", "", "") or '
        f'label_replace(rate(ifHCOutOctets{sel}[{seconds}s]), "direction", "out", "", "")'
    )
    return f"topk({n}, max by (ifName) ({average}) * 8)"


def rates_query(sel: str, window: str) -> str:
    """Every interface's current in and out rate (bit/s) in one instant query, with only the
    labels the table needs (a hub's 4,800 answers are then a tenth of the JSON)."""
    both = (
        f'label_replace(rate(ifHCInOctets{sel}[{window}]), "direction", "in", "", "") or '
        f'label_replace(rate(ifHCOutOctets{sel}[{window}]), "direction", "out", "", "")'
    )
    return f"max by (ifName, direction) ({both}) * 8"


def oper_query(sel: str) -> str:
    """Every interface's ifOperStatus, labelled with its ifName only."""
    return f"max by (ifName) (ifOperStatus{sel})"


@dataclass(frozen=True)
class Picked:
    """The charted interfaces (ifName -> why, in the page's order) and how many there were."""

    why: dict[str, str]
    down: int  # interfaces down (all of them, charted or not)
    erroring: int  # interfaces with errors among those Prometheus ranked (at most n)


def pick(
    known: Iterable[str],
    oper: Mapping[str, float],
    erroring: Mapping[str, float],
    busiest: Mapping[str, float],
    n: int = CHART_AT_MOST,
) -> Picked:
    """Down first, then erroring (most errors first), then busiest, `n` at most; a quarter of the
    places (one at least) is kept for the busiest, so fifty tunnels down still leave the heaviest
    traffic in sight (every down one is a red row of the table). Only interfaces of the inventory
    (`known`, in its order): a stray series never takes a place."""
    order = list(dict.fromkeys(known))
    inventory = set(order)
    down = [i for i in order if i in oper and oper[i] != 1]
    errors = sorted(erroring, key=lambda i: (-erroring[i], i))
    why: dict[str, str] = {}

    def take(names: Iterable[str], reason: str, limit: int) -> None:
        for name in names:
            if len(why) >= limit:
                return
            if name in inventory and name not in why:
                why[name] = reason

    kept = max(1, n // 4)
    take(down, DOWN, n - kept)
    take(errors, ERRORS, n - kept)
    take(sorted(busiest, key=lambda i: (-busiest[i], i)), BUSIEST, n)
    take(down, DOWN, n)  # places the busiest did not fill
    take(errors, ERRORS, n)
    return Picked(why, len(down), sum(1 for i in erroring if i in inventory))


def chart_note(picked: Picked, total: int) -> str:
    """What the page says above the charts: how many are charted and why."""
    counts = {r: sum(1 for w in picked.why.values() if w == r) for r in (DOWN, ERRORS, BUSIEST)}
    parts = []
    if counts[DOWN]:
        parts.append(f"{counts[DOWN]} down" + (f" (of {picked.down})" if picked.down > counts[DOWN] else ""))
    if counts[ERRORS]:
        parts.append(f"{counts[ERRORS]} with errors")
    if counts[BUSIEST]:
        parts.append(f"{counts[BUSIEST]} busiest")
    why = ": " + ", ".join(parts) if parts else " (no counters in Prometheus)"
    return (
        f"Charted {len(picked.why)} of {total:,} interfaces{why}; every interface is in the table "
        "below (its name charts it)."
    )
