"""A video codec's configuration as text: one `xConfiguration` setting per line.

The one canonical form shared by the codec driver (what it reads), the renderer (what the
`templates/cisco_tp` templates emit) and compliance:

    xConfiguration SIP Proxy 1 Address: "10.94.20.16"
    xConfiguration Conference AutoAnswer Mode: Off

exactly as RoomOS prints its settings (`xConfiguration` over SSH) once the leading `*c ` is
dropped: the path's words and indexes, `: `, the value (strings double-quoted as RoomOS prints
them, enumerations and numbers bare). The `** end` / `OK` / `ERROR` lines that end an answer
are not configuration.

An intended codec configuration is partial: only the paths infra manages. `diff()` compares
path by path: the remediation sets each managed path whose running value differs (or is
missing), the rollback sets those paths back to their running values, and a path the intent
does not mention is never touched and never drift. RoomOS reads paths case-insensitively and
prints enumerations in its own case, so paths and bare values compare without case; quoted
strings compare exactly.

Pure (no I/O, no imports from the rest of infra): drivers, render, compliance and tests share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "xConfiguration "
_SETTING = re.compile(r"^(?:\*c\s+)?xConfiguration\s+(?P<path>[^:]+?)\s*:(?:\s(?P<value>.*))?$", re.I)
_NOT_CONFIG = re.compile(r"^(\*\* end|OK|ERROR)$")


class XConfigError(ValueError):
    """A line of an intended configuration that is not an `xConfiguration <path>: <value>`."""


@dataclass(frozen=True)
class Setting:
    path: str  # words and indexes, single-spaced: "SIP Proxy 1 Address"
    value: str  # as printed: '"10.94.20.16"', 'Off', '1'

    @property
    def key(self) -> str:
        return self.path.lower()

    @property
    def line(self) -> str:
        return f"{PREFIX}{self.path}: {self.value}".rstrip()

    def same_value(self, other: str) -> bool:
        if self.value.startswith('"') or other.startswith('"'):
            return self.value == other
        return self.value.lower() == other.lower()


def parse_line(line: str) -> Setting | None:
    m = _SETTING.match(line.strip())
    if m is None:
        return None
    return Setting(" ".join(m["path"].split()), (m["value"] or "").strip())


def parse(text: str, *, strict: bool = False) -> dict[str, Setting]:
    """Settings by lower-cased path, in the order they appear. Lines that are not settings
    (answer ends, blank lines) are skipped; with `strict` (an intended configuration) any other
    line is an XConfigError naming it, and so is one path given two different values."""
    out: dict[str, Setting] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _NOT_CONFIG.match(line):
            continue
        setting = parse_line(line)
        if setting is None:
            if strict:
                raise XConfigError(f"line {n}: not an `xConfiguration <path>: <value>` setting: {line!r}")
            continue
        was = out.get(setting.key)
        if strict and was is not None and not was.same_value(setting.value):
            raise XConfigError(f"line {n}: {setting.path} is set twice ({was.value} and {setting.value})")
        out[setting.key] = setting
    return out


def canonical(text: str) -> str:
    """`text` (e.g. the codec's `*c xConfiguration ...` answer) in the canonical form."""
    return "".join(s.line + "\n" for s in parse(text).values())


@dataclass(frozen=True)
class PathDiff:
    remediation: tuple[str, ...]  # `xConfiguration <path>: <intended value>` per differing path
    rollback: tuple[str, ...]  # the same paths set back to their running values
    diff: str  # `- running` / `+ intended` lines of the differing managed paths


def diff(running: str, intended: str) -> PathDiff:
    """Path-by-path difference over the paths `intended` mentions (see the module docstring).
    A managed path missing from running gets no rollback line: there is no value to go back to."""
    run = parse(running)
    remediation: list[str] = []
    rollback: list[str] = []
    shown: list[str] = []
    for key, want in parse(intended, strict=True).items():
        have = run.get(key)
        if have is not None and want.same_value(have.value):
            continue
        remediation.append(want.line)
        if have is not None:
            rollback.append(Setting(want.path, have.value).line)
            shown.append(f"- {have.line}")
        shown.append(f"+ {want.line}")
    return PathDiff(tuple(remediation), tuple(rollback), "\n".join(shown))


def apply(running: str, lines: tuple[str, ...] | list[str]) -> str:
    """Running configuration after `lines` are set (what a codec does: each setting replaces
    that path's value at once; a new path is added at the end). Canonical form."""
    settings = parse(running)
    for line in lines:
        setting = parse_line(line)
        if setting is None:
            raise XConfigError(f"not an `xConfiguration <path>: <value>` setting: {line!r}")
        was = settings.get(setting.key)
        settings[setting.key] = Setting(was.path if was else setting.path, setting.value)
    return "".join(s.line + "\n" for s in settings.values())


def path_of(line: str) -> str | None:
    """The path a remediation line sets ("SIP Proxy 1 Address"), or None."""
    setting = parse_line(line)
    return setting.path if setting else None
