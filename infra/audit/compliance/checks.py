"""The small check kinds the catalogue is written in, each a function over a parsed configuration.

A check returns an `Outcome`: passed or not, and the evidence an auditor needs: the offending
lines (with their line numbers) or a description of what is missing and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from infra.audit.compliance.catalogue import (
    Check,
    ChildMustHave,
    ChildMustNotHave,
    ChildValue,
    EachMatchHas,
    LineInFile,
    MustHave,
    MustNotHave,
    Service,
    Setting,
)
from infra.audit.compliance.parse import OPTIONAL_SOURCES, DeviceConfig, SettingValue
from infra.audit.compliance.sections import Facts, select_sections
from infra.audit.compliance.tree import describe_path, human, rx
from infra.audit.compliance.tree import walk as _walk
from infra.drivers.configtree import Node

__all__ = ["Evidence", "Facts", "Outcome", "applies", "describe_path", "run_check"]


@dataclass(frozen=True)
class Evidence:
    text: str
    line: int = 0  # 0: not a line of the file (something missing)
    missing: bool = False
    source: str = ""  # for server files: the file the line is in
    section: str = ""  # the section (interface, line vty ...) the finding is about


@dataclass
class Outcome:
    passed: bool
    evidence: list[Evidence] = field(default_factory=list)
    # False when the check found nothing to examine (no OSPF interface, no BGP neighbour, no
    # interface of a kind the inventory would tell): `reason` says what was missing. A rule whose
    # checks all found nothing is "not applicable", not "pass".
    applicable: bool = True
    reason: str = ""


def nothing_to_check(reason: str) -> Outcome:
    return Outcome(True, applicable=False, reason=reason)


def _scope(device: DeviceConfig, under: list[str]) -> Iterator[list[Node]]:
    if not under:
        yield device.tree
    else:
        for node in _walk(device, under):
            yield node.children


def _deep(nodes: list[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        yield from _deep(n.children)


def _ev(node: Node) -> Evidence:
    return Evidence(node.text.split("\n", 1)[0] if "\n" in node.text else node.text, node.line)


def _where(under: list[str]) -> str:
    return " > ".join(p.strip("^$") for p in under) if under else "the configuration"


def _no_sections(check: ChildMustHave | ChildMustNotHave | ChildValue, facts: Facts) -> Outcome:
    what = describe_path(check.section)
    if check.interface_kinds and not facts.interface_kinds:
        return nothing_to_check(
            f"which interfaces are {'/'.join(check.interface_kinds)} is known only from an inventory"
        )
    filters = [f"with {human(w)}" for w in check.where]
    if check.covered_by:
        filters.append(f"covered by {describe_path(check.covered_by)}")
    if check.interface_kinds:
        filters.append(f"of kind {'/'.join(check.interface_kinds)}")
    return nothing_to_check(" ".join([f"no {what}", *filters]))


def must_have(device: DeviceConfig, check: MustHave, facts: Facts) -> Outcome:
    pattern = rx(check.pattern)
    found = [n for nodes in _scope(device, check.under) for n in pattern.nodes(nodes)]
    if len(found) >= check.min and (check.max is None or len(found) <= check.max):
        return Outcome(True, [_ev(n) for n in found])
    evidence = [_ev(n) for n in found]
    if check.context:
        ctx = rx(check.context)
        evidence += [
            _ev(n)
            for nodes in _scope(device, check.under)
            for n in nodes
            if ctx.search(n.text) and n not in found
        ]
    if len(found) < check.min:
        want = "" if check.min == 1 else f"at least {check.min} lines "
        msg = f"missing: {want}{human(check.pattern)} in {_where(check.under)} (found {len(found)})"
    else:
        msg = f"too many: at most {check.max} lines {human(check.pattern)} (found {len(found)})"
    return Outcome(False, [Evidence(msg, missing=True), *evidence])


def must_not_have(device: DeviceConfig, check: MustNotHave, facts: Facts) -> Outcome:
    pattern = rx(check.pattern)
    offending = [
        _ev(n)
        for nodes in _scope(device, check.under)
        for n in (_deep(nodes) if check.deep else nodes)
        if pattern.search(n.text)
    ]
    return Outcome(not offending, offending)


def _unless(device: DeviceConfig, unless: list[str]) -> list[Node]:
    return _walk(device, unless) if unless else []


def child_must_have(device: DeviceConfig, check: ChildMustHave, facts: Facts) -> Outcome:
    if satisfied := _unless(device, check.unless):
        return Outcome(True, [_ev(n) for n in satisfied])
    evidence: list[Evidence] = []
    sections = select_sections(device, check, facts)
    if not sections:
        return _no_sections(check, facts)
    for section in sections:
        for want in check.children:
            if not rx(want).nodes(section.children):
                evidence.append(
                    Evidence(
                        f"{section.text}: missing {human(want)}", section.line, True, section=section.text
                    )
                )
                if check.context:
                    evidence += [_ev(c) for c in section.children if rx(check.context).search(c.text)]
    return Outcome(not evidence, evidence)


def child_must_not_have(device: DeviceConfig, check: ChildMustNotHave, facts: Facts) -> Outcome:
    if _unless(device, check.unless):
        return Outcome(True)
    sections = select_sections(device, check, facts)
    if not sections:
        return _no_sections(check, facts)
    evidence = [
        Evidence(f"{section.text}: {c.text}", c.line, section=section.text)
        for section in sections
        for c in section.children
        if any(rx(bad).search(c.text) for bad in check.children)
    ]
    return Outcome(not evidence, evidence)


def child_value(device: DeviceConfig, check: ChildValue, facts: Facts) -> Outcome:
    evidence: list[Evidence] = []
    pattern = rx(check.child)
    sections = select_sections(device, check, facts)
    if not sections:
        return _no_sections(check, facts)
    for section in sections:
        matches = [(c, pattern.search(c.text)) for c in section.children]
        hits = [(c, m) for c, m in matches if m]
        if not hits:
            evidence.append(
                Evidence(
                    f"{section.text}: missing {human(check.child)}", section.line, True, section=section.text
                )
            )
        for c, m in hits:
            value = int(m["value"])
            if (check.at_most is not None and value > check.at_most) or (
                check.at_least is not None and value < check.at_least
            ):
                evidence.append(Evidence(f"{section.text}: {c.text}", c.line, section=section.text))
    return Outcome(not evidence, evidence)


def each_match_has(device: DeviceConfig, check: EachMatchHas, facts: Facts) -> Outcome:
    evidence: list[Evidence] = []
    pattern = rx(check.pattern)
    matched = False
    for nodes in _scope(device, check.under):
        texts = [n.text for n in nodes]
        for n in nodes:
            m = pattern.search(n.text)
            if m:
                matched = True
                need = rx(check.require.replace("{key}", re.escape(m["key"])))
                if not any(need.search(t) for t in texts):
                    evidence.append(Evidence(f"{n.text}: no {human(need.pattern)}", n.line, missing=True))
    if not matched:
        return nothing_to_check(f"no {describe_path([*check.under, check.pattern])}")
    return Outcome(not evidence, evidence)


def _setting_ok(check: Setting, value: str) -> bool:
    v = value.strip()
    if check.equals is not None and v.lower() != check.equals.lower():
        return False
    if check.one_of is not None and v.lower() not in {o.lower() for o in check.one_of}:
        return False
    if check.matches is not None and not rx(check.matches).search(v):
        return False
    if check.subset_of is not None:
        items = [i.strip().lower() for i in v.split(",") if i.strip()]
        if not items or any(i not in {s.lower() for s in check.subset_of} for i in items):
            return False
    if check.at_most is not None or check.at_least is not None:
        m = re.match(r"^-?\d+", v)
        if not m:
            return False
        n = int(m[0])
        if (check.at_most is not None and n > check.at_most) or (
            check.at_least is not None and n < check.at_least
        ):
            return False
    return True


def _sv(s: SettingValue) -> Evidence:
    return Evidence(s.text or s.value, s.line, source=s.source)


def setting(device: DeviceConfig, check: Setting, facts: Facts) -> Outcome:
    if check.source not in device.settings and check.source in OPTIONAL_SOURCES:
        return nothing_to_check(f"not gathered: {check.source} (an online audit gathers it)")
    if check.source not in device.settings:
        return Outcome(False, [Evidence(f"not gathered: {check.source}", missing=True)])
    key = check.key.lower()
    values = device.settings[check.source].get(key)
    evidence: list[Evidence] = []
    if values:
        if not _setting_ok(check, values[0].value):
            evidence.append(_sv(values[0]))
    elif check.default is None or not _setting_ok(check, check.default):
        shown = f" (default: {check.default})" if check.default is not None else ""
        evidence.append(Evidence(f"missing: {check.key} in {check.source}{shown}", missing=True))
    if check.source == "sshd":  # a Match block can undo the global setting
        for header, block in device.match_blocks:
            for s in block.get(key, [])[:1]:
                if not _setting_ok(check, s.value):
                    evidence.append(Evidence(f"{header}: {s.text}", s.line, source=s.source))
    return Outcome(not evidence, evidence)


def service(device: DeviceConfig, check: Service, facts: Facts) -> Outcome:
    if device.services is None:
        return Outcome(False, [Evidence("not gathered: the list of running services", missing=True)])
    evidence: list[Evidence] = []
    if check.any_running and not device.services & set(check.any_running):
        evidence.append(Evidence(f"none running of: {', '.join(check.any_running)}", missing=True))
    evidence += [Evidence(f"running: {s}") for s in sorted(device.services & set(check.none_running))]
    return Outcome(not evidence, evidence)


def line_in_file(device: DeviceConfig, check: LineInFile, facts: Facts) -> Outcome:
    lines = device.files.get(check.source)
    if lines is None:
        return Outcome(False, [Evidence(f"not gathered: {check.source}", missing=True)])
    pattern = rx(check.pattern)
    found = [ln.strip() for ln in lines if pattern.search(ln)]
    if len(found) >= check.min:
        return Outcome(True, [Evidence(f) for f in found])
    return Outcome(
        False,
        [
            Evidence(
                f"missing: {check.min} line(s) {human(check.pattern)} in {check.source} (found {len(found)})",
                missing=True,
            )
        ],
    )


_KINDS: dict[str, Callable[[DeviceConfig, object, Facts], Outcome]] = {
    "must_have": must_have,  # type: ignore[dict-item]
    "must_not_have": must_not_have,  # type: ignore[dict-item]
    "child_must_have": child_must_have,  # type: ignore[dict-item]
    "child_must_not_have": child_must_not_have,  # type: ignore[dict-item]
    "child_value": child_value,  # type: ignore[dict-item]
    "each_match_has": each_match_has,  # type: ignore[dict-item]
    "setting": setting,  # type: ignore[dict-item]
    "service": service,  # type: ignore[dict-item]
    "line_in_file": line_in_file,  # type: ignore[dict-item]
}


def run_check(device: DeviceConfig, check: Check, facts: Facts) -> Outcome:
    return _KINDS[check.kind](device, check, facts)


def applies(device: DeviceConfig, path: list[str]) -> bool:
    return not path or bool(_walk(device, path))
