"""Ansible host patterns for `--limit`: groups, hosts, globs, `a:b` (or `a,b`), `a:&b`, `a:!b`, `~regex`."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.inventory.inventory import Inventory


class PatternError(ValueError):
    pass


def _split(pattern: str) -> list[str]:
    if "," in pattern:
        return [p.strip() for p in pattern.split(",") if p.strip()]
    # ':' separates terms, except inside an IPv6 address or a regex (not used here)
    return [p for p in pattern.split(":") if p]


def _term(term: str, inv: Inventory) -> list[str]:
    if term in inv.groups:
        return list(inv.groups[term])
    if term in inv.hosts:
        return [term]
    if term.startswith("~"):
        rx = re.compile(term[1:])
        names = [h for h in inv.hosts if rx.search(h)]
        names += [h for g in inv.groups if rx.search(g) for h in inv.groups[g]]
        return list(dict.fromkeys(names))
    if any(c in term for c in "*?["):
        names = [h for h in inv.hosts if fnmatch.fnmatchcase(h, term)]
        names += [h for g in inv.groups if fnmatch.fnmatchcase(g, term) for h in inv.groups[g]]
        return list(dict.fromkeys(names))
    return []


def match_pattern(pattern: str, inv: Inventory) -> list[str]:
    """Host names selected by `pattern`, in inventory order. Raises when nothing matches a term."""
    terms = _split(pattern)
    if not terms:
        raise PatternError(f"empty host pattern {pattern!r}")
    plain = [t for t in terms if not t.startswith(("&", "!"))]
    selected: set[str] = set()
    for t in plain:
        hosts = _term(t, inv)
        if not hosts:
            raise PatternError(f"host pattern {t!r} matches no host or group of the inventory")
        selected.update(hosts)
    if not plain:
        selected = set(inv.hosts)
    for t in terms:
        if t.startswith("&"):
            selected &= set(_term(t[1:], inv))
        elif t.startswith("!"):
            selected -= set(_term(t[1:], inv))
    return [h for h in inv.hosts if h in selected]
