"""Configuration as a tree (hier_config), the one module where a configuration text becomes a
tree: remediation, rollback and drift between two texts (`parse`, `compare`, `apply`,
`rollback`), and the tree of commands as written that the compliance audit reads (`outline`).

Remediation is the tree difference running -> intended; rollback is intended -> running,
computed only when asked (`rollback`). Each platform's rules, its quirks (`quirks.py`) included,
come from the table of `treerules.py`.

A video codec (`cisco_tp`) has no tree: its configuration is one `xConfiguration` setting per
line and its intent names only the paths infra manages, so `compare`/`same`/`apply`/`rollback`
hand it to the path-by-path difference of `infra.xconfig`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from hier_config import HConfig, HConfigChild, Platform, get_hconfig
from hier_config.exceptions import DuplicateChildError

from infra import xconfig
from infra.drivers.quirks import GoesWith
from infra.drivers.treerules import RULES, TreeRules, rules_for


def parse(platform: str, text: str) -> HConfig:
    """A configuration as the device would print it (`hidden_defaults` left out)."""
    config = get_hconfig(rules_for(platform), text)
    _drop_hidden_defaults(config, platform)
    return config


def _sections(config: HConfig, path: tuple[str, ...]) -> list[HConfig | HConfigChild]:
    found: list[HConfig | HConfigChild] = [config]
    for prefix in path:
        found = [c for s in found for c in s.get_children(startswith=prefix)]
    return found


def _drop_hidden_defaults(config: HConfig, platform: str) -> None:
    for path, text in RULES[platform].quirks.hidden_defaults:
        for section in _sections(config, path):
            line = section.get_child(equals=text)
            if line is not None:
                line.delete()


@dataclass(frozen=True)
class Change:
    """What it takes to go from running to intended (the way back: `rollback`, when asked)."""

    remediation: tuple[str, ...]  # lines to send in config mode, indented as on the device
    diff: str  # unified diff running -> intended, in tree order

    @property
    def empty(self) -> bool:
        return not self.remediation


def _rules_of(config: HConfig) -> TreeRules:
    rules = config.driver
    assert isinstance(rules, TreeRules), rules  # parse() loads every tree with rules_for()
    return rules


def _lines(config: HConfig) -> tuple[str, ...]:
    return tuple(config.dump_simple(sectional_exiting=True))


def _owned_keys(section: HConfigChild, rule: GoesWith, prefix: str = "") -> set[str]:
    owner = re.compile(re.escape(prefix) + rule.owner.removeprefix("^"))
    return {m.group(1) for c in section.children if (m := owner.match(c.text))}


def _dependents(section: HConfigChild, rule: GoesWith, key: str, prefix: str = "") -> list[HConfigChild]:
    dep = re.compile(re.escape(prefix) + rule.dependent.removeprefix("^").format(key=re.escape(key)))
    owner = re.compile(re.escape(prefix) + rule.owner.removeprefix("^"))
    return [c for c in section.all_children() if dep.match(c.text) and not owner.match(c.text)]


def _drop_negations_of_dependents(delta: HConfig, platform: str) -> None:
    """`goes_with`: leave out the negation of a line its owner's negation removes already."""
    neg = delta.driver.negation_prefix
    for rule in RULES[platform].quirks.goes_with:
        for section in delta.get_children(startswith=rule.section):
            for key in _owned_keys(section, rule, neg):
                for line in _dependents(section, rule, key, neg):
                    parent = line.parent
                    line.delete()
                    if isinstance(parent, HConfigChild) and not parent.children:
                        parent.delete()  # e.g. an address-family left with nothing to do


def _remove_dependents(before: HConfig, after: HConfig, platform: str) -> None:
    """`goes_with` in the model: an owner gone takes its dependents with it."""
    for rule in RULES[platform].quirks.goes_with:
        for section in after.get_children(startswith=rule.section):
            was = before.get_child(equals=section.text)
            if was is None:
                continue
            for key in _owned_keys(was, rule) - _owned_keys(section, rule):
                for line in _dependents(section, rule, key):
                    line.delete()


def _rename_sections(source: HConfig, target: HConfig, platform: str) -> list[str]:
    """`renamed_in_place`: give `source`'s sections the headers they have in `target` (same
    identity, other value). Returns the new headers."""
    renamed: list[str] = []
    for pattern in RULES[platform].quirks.renamed_in_place:
        rx = re.compile(pattern)
        wanted = {m.group(1): c.text for c in target.children if (m := rx.match(c.text))}
        for section in source.children:
            m = rx.match(section.text)
            if m and wanted.get(m.group(1), section.text) != section.text:
                section.text = wanted[m.group(1)]
                renamed.append(section.text)
    if renamed:
        source.children.rebuild_mapping()
    return renamed


def _difference(platform: str, source_text: str, target: HConfig) -> HConfig:
    source = parse(platform, source_text)
    renamed = _rename_sections(source, target, platform)
    delta = source.config_to_get_to(target, HConfig(source.driver))
    for header in renamed:
        if delta.get_child(equals=header) is None:  # nothing else changed inside: enter it anyway
            delta.add_child(header)
    _rules_of(source).negate_undeletable(delta, source)
    _drop_negations_of_dependents(delta, platform)
    _negate_by_key(delta, platform)
    delta.set_order_weight()
    return delta


def _negate_by_key(delta: HConfig, platform: str) -> None:
    """`negate_by_key`: `no 10 permit ...` becomes `no 10`."""
    neg = delta.driver.negation_prefix
    for *path, key in RULES[platform].quirks.negate_by_key:
        rx = re.compile(key)
        for section in _sections(delta, tuple(path)):
            for line in section.children:
                m = rx.match(line.text.removeprefix(neg)) if line.text.startswith(neg) else None
                if m:
                    line.text = neg + m.group(1)
            section.children.rebuild_mapping()


def _same_in(config: HConfig, section: HConfig | HConfigChild) -> HConfig | HConfigChild | None:
    """The section of `config` at the same place as `section` (of another tree)."""
    if not isinstance(section, HConfigChild):
        return config
    found: HConfig | HConfigChild | None = config
    for part in section.lineage():
        found = found.get_child(equals=part.text) if found is not None else None
    return found


def _expand_keyed_negations(pushed: HConfig, run: HConfig, platform: str) -> None:
    """The model of `negate_by_key`: `no 10` removes the running line keyed 10."""
    neg = pushed.driver.negation_prefix
    for *path, key in RULES[platform].quirks.negate_by_key:
        rx = re.compile(key)
        for section in _sections(pushed, tuple(path)):
            was = _same_in(run, section)
            if was is None:
                continue
            keyed = {m.group(1): c.text for c in was.children if (m := rx.match(c.text))}
            for line in section.children:
                short = line.text.removeprefix(neg)
                if line.text.startswith(neg) and short in keyed:
                    line.text = neg + keyed[short]
            section.children.rebuild_mapping()


PATH_PLATFORMS = ("cisco_tp",)  # configured path by path (infra.xconfig), not as a tree


def compare(platform: str, running: str, intended: str) -> Change:
    if platform in PATH_PLATFORMS:
        d = xconfig.diff(running, intended)
        return Change(d.remediation, d.diff)
    run, want = parse(platform, running), parse(platform, intended)
    remediation = _difference(platform, running, want)
    diff = "\n".join(run.unified_diff(want))
    return Change(_lines(remediation), diff)


def rollback(platform: str, running: str, intended: str) -> tuple[str, ...]:
    """The lines that take the device from intended back to running: the reverse difference
    (a codec: its managed paths set back to their running values). A driver's `rollback()`
    does not send these: it compares the device's config with the one read before and pushes
    that remediation. The circular tests check them."""
    if platform in PATH_PLATFORMS:
        return xconfig.diff(running, intended).rollback
    return _lines(_difference(platform, intended, parse(platform, running)))


def same(platform: str, a: str, b: str) -> bool:
    """True when two configs are equal as trees (ignoring banners, comments and order)."""
    return not compare(platform, a, b).remediation


def apply(platform: str, running: str, lines: tuple[str, ...] | list[str]) -> str:
    """Running config after `lines` are applied (hier_config's model of the device, plus the
    `goes_with` quirk: negating an owner removes its dependents)."""
    if platform in PATH_PLATFORMS:
        return xconfig.apply(running, lines)
    run = parse(platform, running)
    pushed = get_hconfig(rules_for(platform), "\n".join(lines))  # defaults too: they are sent
    _rename_sections(run, pushed, platform)
    _expand_keyed_negations(pushed, run, platform)
    future = run.future(pushed)
    _remove_dependents(run, future, platform)
    _drop_hidden_defaults(future, platform)
    return "\n".join(future.dump_simple())


# ---- the configuration as written (the compliance audit's reading) ---------------------------
# `parse` above is the device's model of a configuration (banners, defaults and section ends
# left out), for remediation and drift. The compliance audit reads the file as written instead:
# every command with the line it came from (evidence), duplicates kept.

SECTION_ENDS = frozenset({"exit", "end", "return", "quit", "exit-address-family", "exit-vrf"})
# hier_config's driver for each platform's syntax, without the quirks: FRR's vtysh writes IOS's
_SYNTAX = {"cisco_ios": Platform.CISCO_IOS, "frr": Platform.CISCO_IOS, "huawei_vrp": Platform.HUAWEI_VRP}
log = logging.getLogger("infra.drivers.configtree")


@dataclass(slots=True)
class Node:
    text: str
    line: int = 0  # 1-based line of the source file; 0 when unknown
    children: list[Node] = field(default_factory=list)


def outline(platform: str, text: str, parser: str = "indent") -> list[Node]:
    """The configuration as written, as a tree of commands. `parser="indent"` (default) is the
    indentation tree of `indent_tree`; `parser="hier_config"` loads it with hier_config 3.7
    (Cisco IOS driver for IOS and FRR, Huawei VRP driver for VRP) and copies its tree, or, when
    hier_config refuses the text (`ValueError`: an unfinished banner; `DuplicateChildError`: a
    section given twice), logs why and falls back to the indentation tree. Both give the same
    findings (tests prove it on every fixture); the indentation tree is ~20x faster (bench/),
    which is what an audit of 1,000 devices in seconds needs."""
    if platform == "frr":  # FRR ends sections with `exit`, which IOS's rules keep as a command
        text = re.sub(r"(?m)^\s*exit(-address-family|-vrf)?\s*$", "!", text)
    tree: list[Node] = []
    if parser == "hier_config":
        index = _line_index(text)
        try:
            hconfig = get_hconfig(_SYNTAX[platform], text)
        except (ValueError, DuplicateChildError) as exc:
            log.warning(
                "hier_config cannot read this %s configuration (%s): indentation tree used", platform, exc
            )
        else:
            tree = [_copy(child, index) for child in hconfig.children if child.text not in SECTION_ENDS]
    return tree or indent_tree(text, platform)


def _line_index(text: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        key = " ".join(raw.split())
        if key and key not in index:
            index[key] = n
    return index


def _copy(child: HConfigChild | HConfig, index: dict[str, int]) -> Node:
    text = child.text if isinstance(child, HConfigChild) else ""
    first = text.split("\n", 1)[0]
    node = Node(text, index.get(" ".join(first.split()), 0))
    node.children = [_copy(c, index) for c in child.children if c.text not in SECTION_ENDS]
    return node


_BANNER = re.compile(r"^banner (motd|login|exec|incoming|slip-ppp|prompt-timeout)\s+(\S)")


def indent_tree(text: str, platform: str) -> list[Node]:
    """A plain indentation tree that keeps duplicate lines: IOS banners are folded into one
    node; comments, separators and section ends dropped."""
    root = Node("", -1)
    stack: list[tuple[int, Node]] = [(-1, root)]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw, n = lines[i], i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped[0] in "!#" or stripped in SECTION_ENDS:
            continue
        indent = len(raw) - len(raw.lstrip())
        m = _BANNER.match(stripped) if stripped[:6] == "banner" and platform != "huawei_vrp" else None
        if m:
            delim = "^C" if stripped[m.end(2) - 1 :].startswith("^C") else m[2]
            body = [stripped]
            rest = stripped[m.end(2) - 1 + len(delim) :]
            while delim not in rest and i < len(lines):
                rest = lines[i]
                body.append(rest)
                i += 1
            stripped = "\n".join(body)
        while stack[-1][0] >= indent:
            stack.pop()
        node = Node(" ".join(stripped.split(" ")) if "\n" in stripped else " ".join(stripped.split()), n)
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root.children
