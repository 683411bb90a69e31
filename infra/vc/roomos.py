"""Reading a RoomOS/CE codec's xAPI answers: the one place that knows their text shape.

A codec answers `xStatus <path>` with one line per leaf, `*s <path>: <value>`, then `** end`
and `OK`; `xCommand ...` with a result block `*r <Name>Result (status=OK|Error): ...` and
`OK` or `ERROR` (Cisco's xAPI reference; Netmiko's `cisco_tp` class reads up to that `OK`).

    *s SIP Registration 1 Status: Registered
    *r DialResult (status=OK):
        CallId: 2
    *s MediaChannels Call 2 Channel 330 Netstat Jitter: 3
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATUS = re.compile(r"^\*s (?P<path>.+?): ?(?P<value>.*)$")
_RESULT = re.compile(r"^\*r (?P<name>\S+)(?: \(status=(?P<status>\w+)\))?:?(?P<rest>.*)$")
_FIELD = re.compile(r"^\s+(?P<key>[A-Za-z][\w ]*?): ?(?P<value>.*)$")
_CHANNEL = re.compile(r"^MediaChannels Call (?P<call>\d+) Channel (?P<channel>\d+) (?P<leaf>.+)$")


class XapiError(Exception):
    """The codec refused a command or answered something this module cannot read."""


def status_values(text: str) -> dict[str, str]:
    """Every `*s path: value` line of an xStatus answer, path -> value (quotes removed)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _STATUS.match(line.strip())
        if m:
            out[m["path"].strip()] = m["value"].strip().strip('"')
    return out


def status_value(text: str, path: str) -> str | None:
    """The value of one leaf (`SIP Registration 1 Status`), or None when the codec has none
    (RoomOS prints only `** end` for a call id that does not exist)."""
    wanted = " ".join(path.split())
    return status_values(text).get(wanted)


def refused(text: str) -> str | None:
    """Why a command was refused (`*r ... (status=Error)` with its Reason, or a bare `ERROR`),
    None when it was accepted."""
    result = command_result(text, required=False)
    if result is not None and result[0].lower() != "ok":
        return result[1].get("Reason") or result[1].get("Description") or f"status={result[0]}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "ERROR" in lines or "Command not recognized." in lines:
        return next((ln for ln in lines if ln not in ("ERROR", "** end")), "ERROR")
    return None


def command_result(text: str, required: bool = True) -> tuple[str, dict[str, str]] | None:
    """(status, fields) of an xCommand answer's `*r` result, in any of the shapes RoomOS and its
    stand-ins print: a header with indented fields, or one `*r` line per field (with or without
    the `(status=...)` part)."""
    status: str | None = None
    fields: dict[str, str] = {}
    in_block = False
    for line in text.splitlines():
        m = _RESULT.match(line.strip())
        if m:
            status = status or m["status"] or "OK"
            rest = m["rest"].strip()
            f = _FIELD.match(" " + rest) if rest else None
            if f:
                fields.setdefault(f["key"].strip(), f["value"].strip().strip('"'))
            in_block = True
            continue
        if in_block and line[:1].isspace():
            f = _FIELD.match(line)
            if f:
                fields.setdefault(f["key"].strip(), f["value"].strip().strip('"'))
            continue
        in_block = False
    if status is None:
        if required:
            raise XapiError(f"no result in the codec's answer: {_first_line(text)!r}")
        return None
    return status, fields


def dial_call_id(text: str) -> int:
    """The CallId of an accepted `xCommand Dial` (XapiError with the codec's reason otherwise)."""
    why = refused(text)
    if why is not None:
        raise XapiError(f"the codec refused the dial: {why}")
    result = command_result(text)
    assert result is not None
    call_id = result[1].get("CallId", "")
    if not call_id.isdigit():
        raise XapiError(f"the dial result has no CallId: {_first_line(text)!r}")
    return int(call_id)


@dataclass(frozen=True)
class Channel:
    """One media channel of a call, as `xStatus MediaChannels Call N` reports it."""

    channel: int
    direction: str  # "incoming" | "outgoing"
    kind: str  # "audio" | "video" | "data"
    packets: int
    loss: int  # packets lost (incoming: counted here; outgoing: as the far end reports it)
    jitter_ms: float
    round_trip_ms: float | None = None


def media_channels(text: str, call_id: int) -> list[Channel]:
    """The audio and video channels of one call, in channel order."""
    leaves: dict[int, dict[str, str]] = {}
    for path, value in status_values(text).items():
        m = _CHANNEL.match(path)
        if m and int(m["call"]) == call_id:
            leaves.setdefault(int(m["channel"]), {})[m["leaf"]] = value
    out = []
    for number, leaf in sorted(leaves.items()):
        kind = leaf.get("Type", "").lower()
        if kind not in ("audio", "video"):
            continue
        rtt = leaf.get("Netstat RoundTripTime")
        out.append(
            Channel(
                number,
                leaf.get("Direction", "").lower(),
                kind,
                _int(leaf.get("Netstat Packets")),
                _int(leaf.get("Netstat Loss")),
                float(_int(leaf.get("Netstat Jitter"))),
                float(rtt) if rtt and rtt.replace(".", "", 1).isdigit() else None,
            )
        )
    return out


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:120]
