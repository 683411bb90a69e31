"""Jinja2 filters the templates use (pure functions)."""

from __future__ import annotations

import re
from functools import cmp_to_key
from typing import Any

_LETTERS = re.compile(r"[^0-9]*")
_NUMBER = re.compile(r"[0-9]*")


def _cmp(a: str | int, b: str | int) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def frr_name_cmp(n1: str, n2: str) -> int:
    """FRR's `if_cmp_name_func`: the order in which FRR lists interfaces (eth2 before eth10)."""
    p1, p2 = n1, n2
    while p1 and p2:
        l1 = len(_LETTERS.match(p1).group(0))  # type: ignore[union-attr]
        l2 = len(_LETTERS.match(p2).group(0))  # type: ignore[union-attr]
        if l1 != l2:
            return _cmp(p1, p2)
        res = _cmp(p1[:l1], p2[:l1])
        if res:
            return res
        p1, p2 = p1[l1:], p2[l1:]
        if not p1 and not p2:
            return 0
        if not p1:
            return -1
        if not p2:
            return 1
        d1 = _NUMBER.match(p1).group(0)  # type: ignore[union-attr]
        d2 = _NUMBER.match(p2).group(0)  # type: ignore[union-attr]
        res = _cmp(int(d1 or 0), int(d2 or 0))
        if res:
            return res
        p1, p2 = p1[len(d1) :], p2[len(d2) :]
    if p1:
        return 1
    if p2:
        return -1
    return 0


def frr_interface_order(interfaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def by_name(a: dict[str, Any], b: dict[str, Any]) -> int:
        return frr_name_cmp(str(a["name"]), str(b["name"]))

    return sorted(interfaces, key=cmp_to_key(by_name))


FILTERS = {"frr_interface_order": frr_interface_order}
