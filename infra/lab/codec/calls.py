"""The calls of one shell session, fed by baresip's call events, read as RoomOS's `xStatus Call`
and `xStatus MediaChannels Call` subtrees.

    dial -> Dialling; CALL_RINGING / CALL_PROGRESS -> Ringing; CALL_ESTABLISHED -> Connected;
    CALL_CLOSED -> the call is gone (RoomOS drops a call from xStatus when it ends).

Media statistics come from CALL_RTCP events (every ~5 s per medium and call): for each medium
(audio, video) an Incoming channel (what this codec received: `rx`) and an Outgoing channel
(what the far end reports about this codec's stream: `tx`). A channel appears with the call's
first RTCP report. Channel ids are fixed per call: 1 incoming audio, 2 incoming video,
3 outgoing audio, 4 outgoing video. `Netstat RoundTripTime` (ms, from RTCP) is the stand-in's
own addition: RoomOS has no such leaf, so readers must treat it as optional.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from infra.lab.codec.control import Event

STATES = {"CALL_RINGING": "Ringing", "CALL_PROGRESS": "Ringing", "CALL_ESTABLISHED": "Connected"}
MID_CALL = {"CALL_RTCP", "CALL_RTPESTAB", "CALL_CLOSED", "CALL_ESTABLISHED"}
CHANNELS = (
    (1, "Incoming", "audio"),
    (2, "Incoming", "video"),
    (3, "Outgoing", "audio"),
    (4, "Outgoing", "video"),
)


@dataclass
class Netstat:
    packets: int = 0
    loss: int = 0
    jitter_ms: int = 0
    max_jitter_ms: int = 0
    last_interval_lost: int = 0
    last_interval_received: int = 0
    round_trip_ms: float | None = None

    def update(self, sent: int, lost: int, jit_us: int) -> None:
        self.last_interval_received = max(0, sent - self.packets)
        self.last_interval_lost = max(0, lost - self.loss)
        self.packets, self.loss = sent, max(0, lost)
        self.jitter_ms = round(jit_us / 1000)
        self.max_jitter_ms = max(self.max_jitter_ms, self.jitter_ms)


@dataclass
class Call:
    call_id: int
    remote: str
    direction: str = "Outgoing"
    status: str = "Dialling"
    ua_id: str | None = None  # baresip's call id
    connected_at: float | None = None
    closed: str | None = None  # why it ended
    media: dict[tuple[str, str], Netstat] = field(default_factory=dict)  # (direction, medium)


class Calls:
    """Every call this session placed, by RoomOS CallId. Events of a baresip call not yet matched
    to a CallId are kept and replayed when `xCommand Dial` claims it."""

    def __init__(self) -> None:
        self.by_id: dict[int, Call] = {}
        self.pending: dict[str, list[Event]] = {}  # outgoing baresip calls not claimed yet
        self.claimed: dict[str, Call] = {}

    def on_event(self, event: Event) -> None:
        if event.get("class") != "call":
            return
        ua_id = str(event.get("id") or "")
        call = self.claimed.get(ua_id)
        if call is not None:
            self._apply(call, event)
        elif ua_id and event.get("direction") == "outgoing":
            self.pending.setdefault(ua_id, []).append(event)

    def _apply(self, call: Call, event: Event) -> None:
        if call.closed is not None:
            return
        kind = str(event.get("type"))
        if kind in STATES and call.status != "Connected":
            call.status = STATES[kind]
            if call.status == "Connected":
                call.connected_at = float(event.get("_t", time.monotonic()))
        elif kind == "CALL_CLOSED":
            call.closed = str(event.get("param") or "closed")
            call.status = "Idle"
        elif kind == "CALL_RTCP":
            self._rtcp(call, event)

    @staticmethod
    def _rtcp(call: Call, event: Event) -> None:
        medium = str(event.get("param"))
        stats: dict[str, Any] = event.get("rtcp_stats") or {}
        if medium not in ("audio", "video"):
            return
        for direction, side in (("Incoming", "rx"), ("Outgoing", "tx")):
            s = stats.get(side) or {}
            netstat = call.media.setdefault((direction, medium), Netstat())
            netstat.update(int(s.get("sent", 0)), int(s.get("lost", 0)), int(s.get("jit", 0)))
            if stats.get("rtt"):
                netstat.round_trip_ms = round(int(stats["rtt"]) / 1000, 1)

    def claim(self, call: Call, dialled_at: float) -> bool:
        """Match a freshly dialled call with the first outgoing baresip call that began after
        the dial (not a call already running when this session connected), and replay what
        happened to it so far."""
        if call.ua_id is None:
            ua_id = next((u for u, ev in self.pending.items() if _begins(ev[0], dialled_at)), None)
            if ua_id is None:
                return False
            events = self.pending.pop(ua_id)
            call.ua_id = ua_id
            self.claimed[ua_id] = call
            for event in events:
                self._apply(call, event)
        return call.ua_id is not None

    def live(self) -> list[Call]:
        return [c for c in self.by_id.values() if c.closed is None]


def _begins(event: Event, after: float) -> bool:
    return float(event.get("_t", 0.0)) >= after and event.get("type") not in MID_CALL


def call_status(call: Call, now: float) -> list[tuple[str, str]]:
    """The `xStatus Call <id>` leaves of a live call."""
    duration = int(now - call.connected_at) if call.connected_at is not None else 0
    remote = call.remote
    return [
        (f"Call {call.call_id} AnswerState", "Answered" if call.status == "Connected" else "Unanswered"),
        (f"Call {call.call_id} CallType", "Video"),
        (f"Call {call.call_id} CallbackNumber", f'"{remote}"'),
        (f"Call {call.call_id} DeviceType", "Endpoint"),
        (f"Call {call.call_id} Direction", call.direction),
        (f"Call {call.call_id} DisplayName", f'"{remote}"'),
        (f"Call {call.call_id} Duration", str(duration)),
        (f"Call {call.call_id} Protocol", "Sip"),
        (f"Call {call.call_id} RemoteNumber", f'"{remote.split(":", 1)[-1]}"'),
        (f"Call {call.call_id} Status", call.status),
    ]


def media_status(call: Call) -> list[tuple[str, str]]:
    """The `xStatus MediaChannels Call <id>` leaves: the channels that have RTCP reports."""
    out: list[tuple[str, str]] = []
    for channel, direction, medium in CHANNELS:
        n = call.media.get((direction, medium))
        if n is None:
            continue
        base = f"MediaChannels Call {call.call_id} Channel {channel}"
        out += [
            (f"{base} Direction", direction),
            (f"{base} Netstat Jitter", str(n.jitter_ms)),
            (f"{base} Netstat LastIntervalLost", str(n.last_interval_lost)),
            (f"{base} Netstat LastIntervalReceived", str(n.last_interval_received)),
            (f"{base} Netstat Loss", str(n.loss)),
            (f"{base} Netstat MaxJitter", str(n.max_jitter_ms)),
            (f"{base} Netstat Packets", str(n.packets)),
        ]
        if n.round_trip_ms is not None:  # a stand-in extension, not a RoomOS leaf
            out.append((f"{base} Netstat RoundTripTime", f"{n.round_trip_ms:.1f}"))
        out.append((f"{base} Type", medium.capitalize()))
    return out
