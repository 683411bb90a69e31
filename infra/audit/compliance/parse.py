"""Configurations as the audit reads them: a tree of commands (network devices) or key = value
settings (servers, video-conference codecs), and the platform told from the content.

A network configuration's tree of commands, each remembering the line it came from (for
evidence), is `infra.drivers.configtree.outline`: the same configuration-tree module the drift
audit and deploy compare with (an indentation tree by default, hier_config's on request).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from infra.audit.compliance.platforms import guess_platform
from infra.drivers.configtree import Node, outline

NETWORK = ("cisco_ios", "huawei_vrp", "frr")


class UnparseableConfig(Exception):
    """A file the audit cannot read as a configuration (binary, empty, unknown shape)."""


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
    """The configuration as a tree of commands (`configtree.outline`; `parser` chooses its
    reading: "indent", the default, or "hier_config")."""
    if not text.strip():
        raise UnparseableConfig("the file is empty")
    tree = outline(platform, text, parser)
    if not tree:
        raise UnparseableConfig("no configuration commands found")
    return DeviceConfig(name=name, platform=platform, origin=origin, tree=tree)


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
