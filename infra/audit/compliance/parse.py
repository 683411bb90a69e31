"""Configurations as the audit reads them: a tree of lines (network devices) or key = value
settings (servers, video-conference codecs), and the platform told from the content.

Network configurations are parsed by hier_config 3.7 (its Cisco IOS driver for IOS and FRR,
its Huawei VRP driver for VRP, which drops the `#` separators); the tree is copied into small
`Node`s that remember the line each command came from, for evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hier_config import HConfig, Platform, get_hconfig
from hier_config.child import HConfigChild

from infra.audit.compliance.platforms import guess_platform

NETWORK = ("cisco_ios", "huawei_vrp", "frr")
_SECTION_ENDS = frozenset({"exit", "end", "return", "quit", "exit-address-family", "exit-vrf"})


class UnparseableConfig(Exception):
    """A file the audit cannot read as a configuration (binary, empty, unknown shape)."""


@dataclass(slots=True)
class Node:
    text: str
    line: int = 0  # 1-based line of the source file; 0 when unknown
    children: list[Node] = field(default_factory=list)


@dataclass
class SettingValue:
    value: str
    source: str  # the file it came from
    line: int = 0
    text: str = ""  # the line as written


@dataclass
class DeviceConfig:
    """One device's configuration, parsed for the checks."""

    name: str
    platform: str
    origin: str  # file or directory it came from, or "online"
    tree: list[Node] = field(default_factory=list)
    settings: dict[str, dict[str, list[SettingValue]]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)  # source -> lines (line_in_file)
    services: set[str] | None = None  # None: not gathered
    match_blocks: list[tuple[str, dict[str, list[SettingValue]]]] = field(default_factory=list)
    cache: dict[tuple[str, ...], list[Node]] = field(default_factory=dict, repr=False)  # path -> nodes


# ---- platform detection ----------------------------------------------------------------------
def detect_platform(text: str) -> str | None:
    """The platform a configuration text looks like (platforms.guess_platform; it may be one the
    audit has no rules for, e.g. "junos"), or None when nothing tells."""
    return guess_platform(text).platform


_CONTROL = frozenset(range(32)) - {9, 10, 12, 13}


def looks_binary(data: bytes) -> bool:
    """NUL bytes or more than 1 % control characters: not configuration text. (Non-UTF-8 text,
    e.g. Latin-1 descriptions, is still text.)"""
    head = data[:8192]
    if b"\x00" in head:
        return True
    return sum(b in _CONTROL for b in head) > len(head) // 100


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---- network devices -------------------------------------------------------------------------
def parse_network(name: str, platform: str, text: str, origin: str, parser: str = "indent") -> DeviceConfig:
    """The configuration as a tree of commands. `parser="indent"` (default) is the indentation
    tree of `indent_tree`; `parser="hier_config"` loads it with hier_config 3.7 (Cisco IOS driver
    for IOS and FRR, Huawei VRP driver for VRP) and copies its tree. Both give the same findings
    (tests prove it on every fixture); the indentation tree is ~20x faster (bench/), which is what
    an audit of 1,000 devices in seconds needs."""
    if not text.strip():
        raise UnparseableConfig("the file is empty")
    if platform == "frr":  # FRR ends sections with `exit`, which IOS's rules keep as a command
        text = re.sub(r"(?m)^\s*exit(-address-family|-vrf)?\s*$", "!", text)
    tree: list[Node] = []
    if parser == "hier_config":
        hc_platform = Platform.HUAWEI_VRP if platform == "huawei_vrp" else Platform.CISCO_IOS
        index = _line_index(text)
        try:
            hconfig = get_hconfig(hc_platform, text)
            tree = [_copy(child, index) for child in hconfig.children if child.text not in _SECTION_ENDS]
        except Exception:
            tree = []
    if not tree:
        tree = indent_tree(text, platform)
    if not tree:
        raise UnparseableConfig("no configuration commands found")
    return DeviceConfig(name=name, platform=platform, origin=origin, tree=tree)


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
    node.children = [_copy(c, index) for c in child.children if c.text not in _SECTION_ENDS]
    return node


_BANNER = re.compile(r"^banner (motd|login|exec|incoming|slip-ppp|prompt-timeout)\s+(\S)")


def indent_tree(text: str, platform: str) -> list[Node]:
    """A plain indentation tree that keeps duplicate lines (the fallback when hier_config refuses
    a configuration): IOS banners are folded into one node; comments and separators dropped."""
    root = Node("", -1)
    stack: list[tuple[int, Node]] = [(-1, root)]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw, n = lines[i], i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped[0] in "!#" or stripped in _SECTION_ENDS:
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


# ---- Cisco TelePresence / RoomOS codecs ------------------------------------------------------
_XCONFIG = re.compile(r"^(?:\*c )?xConfiguration (?P<path>[^:]+?):\s*(?P<value>.*?)\s*$")
# What the online audit adds after trying the factory login (docs/compliance.md, "Codecs").
FACTORY_LOGIN = re.compile(r"^#\s*infra factory-login (?P<user>\S+):\s*(?P<result>accepted|refused)\s*$")
# Settings sources a codec dump may lack: the rules on them are then not applicable.
OPTIONAL_SOURCES = frozenset({"login"})


def xconfig_value(raw: str) -> str:
    """A printed value without its quotes: `"10.94.20.16:5061"` -> `10.94.20.16:5061`, `Off` -> `Off`."""
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return raw


def parse_cisco_tp(name: str, text: str, origin: str) -> DeviceConfig:
    """xConfiguration lines into settings keyed by path: the codec's own output
    (`*c xConfiguration Conference AutoAnswer Mode: Off`) or the canonical form `infra render`
    writes (the same without `*c `). Everything else (`OK`, `** end`, `xStatus` and `xCommand`
    results) is left aside, except the factory-login line of an online audit (source `login`)."""
    settings: dict[str, list[SettingValue]] = {}
    login: dict[str, list[SettingValue]] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = _XCONFIG.match(line)
        if m:
            key = " ".join(m["path"].split()).lower()
            settings.setdefault(key, []).append(SettingValue(xconfig_value(m["value"]), "", n, line))
            continue
        f = FACTORY_LOGIN.match(line)
        if f:
            login.setdefault("factory-login", []).append(SettingValue(f["result"], "", n, line))
    if not settings:
        raise UnparseableConfig("no xConfiguration lines found")
    sources = {"xconfig": settings}
    if login:
        sources["login"] = login
    return DeviceConfig(name=name, platform="cisco_tp", origin=origin, settings=sources, tree=[])
