"""Ansible host patterns for `--limit`: groups, hosts, globs, `a:b` (or `a,b`), `a:&b`, `a:!b`, `~regex`."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Mapping, Sequence

Groups = Mapping[str, Sequence[str]]  # group -> its hosts (children's included), as Inventory.groups


class PatternError(ValueError):
    pass


def _split(pattern: str) -> list[str]:
    if "," in pattern:
        return [p.strip() for p in pattern.split(",") if p.strip()]
    # ':' separates terms, except inside an IPv6 address or a regex (not used here)
    return [p for p in pattern.split(":") if p]


def _term(term: str, hosts: Collection[str], groups: Groups) -> list[str]:
    if term in groups:
        return list(groups[term])
    if term in hosts:
        return [term]
    if term.startswith("~"):
        rx = re.compile(term[1:])
        names = [h for h in hosts if rx.search(h)]
        names += [h for g in groups if rx.search(g) for h in groups[g]]
        return list(dict.fromkeys(names))
    if any(c in term for c in "*?["):
        names = [h for h in hosts if fnmatch.fnmatchcase(h, term)]
        names += [h for g in groups if fnmatch.fnmatchcase(g, term) for h in groups[g]]
        return list(dict.fromkeys(names))
    return []


def match_pattern(pattern: str, hosts: Collection[str], groups: Groups) -> list[str]:
    """Names of `hosts` (in their order) selected by `pattern`, with `groups` naming groups of them.
    Raises when nothing matches a term."""
    terms = _split(pattern)
    if not terms:
        raise PatternError(f"empty host pattern {pattern!r}")
    plain = [t for t in terms if not t.startswith(("&", "!"))]
    selected: set[str] = set()
    for t in plain:
        matched = _term(t, hosts, groups)
        if not matched:
            raise PatternError(f"host pattern {t!r} matches no host or group of the inventory")
        selected.update(matched)
    if not plain:
        selected = set(hosts)
    for t in terms:
        if t.startswith("&"):
            selected &= set(_term(t[1:], hosts, groups))
        elif t.startswith("!"):
            selected -= set(_term(t[1:], hosts, groups))
    return [h for h in hosts if h in selected]
