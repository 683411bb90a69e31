"""The RoomOS xAPI terminal syntax: parsing one command line and writing answers. Pure.

Answers as RoomOS prints them over SSH (`xPreferences outputmode terminal`, the default):

    *c xConfiguration SIP Proxy 1 Address: "10.94.20.16"      a setting (strings quoted)
    *s SIP Registration 1 Status: Registered                  a status leaf
    *r DialResult (status=OK): CallId: 3                       a command result leaf
    ** end                                                     end of the body
    (blank line)
    OK | ERROR                                                 end of the answer

An unknown top-level command answers the single line `Command not recognized.`; an empty line
answers nothing (a terminal's Enter sends `\r\n`, which a tty reads as two line ends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

END = "** end"
NOT_RECOGNIZED = "Command not recognized."
NO_MATCH = "No match on address expression."

_PARAM = re.compile(r'(?P<name>[A-Za-z][\w.]*):\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')


@dataclass
class Line:
    verb: str  # lower-cased first word: xconfiguration, xstatus, xcommand, ...
    words: list[str]  # the path (xConfiguration/xStatus) or command words (xCommand)
    value: str | None = None  # xConfiguration <path>: <value>
    params: dict[str, str] = field(default_factory=dict)  # xCommand parameters, by lower-case name
    bad_params: str = ""  # text after the command words that is not `Name: value` pairs


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _value(m: re.Match[str]) -> str:
    return m["quoted"] if m["quoted"] is not None else m["bare"]


def parse(text: str) -> Line:
    verb, _, rest = text.strip().partition(" ")
    verb = verb.lower()
    if verb == "xconfiguration" and ":" in rest:
        path, _, value = rest.partition(":")
        return Line(verb, path.split(), unquote(value))
    if verb == "xcommand":
        m = re.search(r"\s*\b[A-Za-z][\w.]*:", rest)
        head, args = (rest[: m.start()], rest[m.start() :]) if m else (rest, "")
        params = {p["name"].lower(): _value(p) for p in _PARAM.finditer(args)}
        leftover = _PARAM.sub("", args).strip()
        return Line(verb, head.split(), params=params, bad_params=leftover)
    return Line(verb, rest.split())


def answer(body: list[str], ok: bool = True) -> str:
    """A body of `*c`/`*s`/`*r` lines closed the RoomOS way."""
    return "\n".join([*body, END, "", "OK" if ok else "ERROR"])


def result(name: str, leaves: list[tuple[str, str]] | None = None, ok: bool = True) -> str:
    """An xCommand answer: `*r <Name>Result (status=OK|Error): <leaf>: <value>` lines."""
    head = f"*r {name} (status={'OK' if ok else 'Error'}):"
    body = [f"{head} {k}: {v}" for k, v in leaves] if leaves else [head]
    return answer(body, ok)


def error(what: str, reason: str, xpath: str | None = None) -> str:
    """`*r Configuration (status=Error): Reason: ...` (and the XPath RoomOS names) + ERROR."""
    leaves = [("Reason", reason)]
    if xpath:
        leaves.append(("XPath", xpath))
    return result(what, leaves, ok=False)


def xpath(root: str, words: list[str]) -> str:
    return "/".join([root, *words])


def matches(path: str, prefix: list[str]) -> bool:
    """Whether a leaf's path is at or below a prefix (whole words, any case)."""
    words = path.lower().split()
    want = [w.lower() for w in prefix]
    return words[: len(want)] == want
