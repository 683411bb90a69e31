"""A fake RoomOS codec (the vendor OS cannot run here) and a Toolkit around it.

The fake answers in the xAPI's text shape (`*s path: value`, `*r Result (status=...)`), keeps
its media counters on the test's clock, and records every command, so a test can prove that a
test call was hung up. The real codec's stand-in (vc-codec-shell) and the real driver are
exercised by the lab end-to-end run, not here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from infra.drivers.base import CommandRejected, ConnectionFailed, DriverError
from infra.drivers.configtree import Change
from infra.vc.checks import Codec, Toolkit
from infra.vc.model import Endpoint, Thresholds
from infra.vc.probes import MarkCounts, Unknown


class FakeClock:
    """Time that moves only when the code under test waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.stop_at: float | None = None  # an interrupt arrives at this time
        self.stop = threading.Event()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        if self.stop_at is not None and self.now >= self.stop_at:
            self.stop.set()
        return self.stop.is_set()


@dataclass
class FakeCodec:
    clock: Callable[[], float] = time.monotonic
    registration: str = "Registered"
    drift: tuple[str, ...] = ()
    dial_error: str | None = None
    connects_after: float | None = 0.5  # None: never connects (stays Ringing)
    ends_with: str | None = None  # the call drops to this state instead of connecting
    pps_in: float = 50.0  # per channel
    pps_out: float = 50.0
    loss_in: float = 0.0  # ratio of incoming packets lost
    jitter_ms: int = 2
    rtt_ms: int | None = 40
    active_calls: int = 0
    media_raises: bool = False
    stats_after_s: float = 0.0  # media channels listed only this long after connecting (RTCP)
    hangup_refused: bool = False
    latency_s: float = 0.0  # per command (bench)
    secret_in_answers: str = ""
    commands: list[str] = field(default_factory=list)
    calls: dict[int, float] = field(default_factory=dict)  # call id -> dialled at
    hung_up: list[int] = field(default_factory=list)
    candidate: str | None = None

    def _wait(self) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)

    def status(self, path: str) -> str:
        """The value of one leaf, as the cisco_tp driver hands it back (DriverError if none)."""
        self._wait()
        self.commands.append(f"xStatus {path}")
        words = path.split()
        value: str | None = None
        if path == "SIP Registration 1 Status":
            value = self.registration + self.secret_in_answers
        elif path == "SystemUnit State NumberOfActiveCalls":
            value = str(self.active_calls)
        elif words[0] == "Call" and words[2] == "Status":
            value = self._call_state(int(words[1]))
        if value is None:
            raise DriverError(f"codec: `xStatus {path}` printed no value for {path}")
        return value

    def show(self, command: str) -> str:
        self._wait()
        self.commands.append(command)
        words = command.split()
        if words[:2] == ["xStatus", "MediaChannels"]:
            if self.media_raises:
                raise OSError("the session dropped while reading media channels")
            return self._media(int(words[3]))
        return "** end"

    def _call_state(self, call_id: int) -> str | None:
        if call_id not in self.calls or call_id in self.hung_up:
            return None
        elapsed = self.clock() - self.calls[call_id]
        if self.ends_with is not None and elapsed > 0.3:
            return self.ends_with
        if self.connects_after is None or elapsed < self.connects_after:
            return "Ringing"
        return "Connected"

    def _media(self, call_id: int) -> str:
        if self._call_state(call_id) != "Connected":
            return "** end"
        t = self.clock() - self.calls[call_id] - (self.connects_after or 0)
        if t < self.stats_after_s:
            return "** end"
        lines = []
        for n, (direction, kind) in enumerate(
            [("incoming", "audio"), ("incoming", "video"), ("outgoing", "audio"), ("outgoing", "video")]
        ):
            pps = self.pps_in if direction == "incoming" else self.pps_out
            sent = int(pps * t)
            lost = int(sent * self.loss_in) if direction == "incoming" else 0
            p = f"*s MediaChannels Call {call_id} Channel {300 + n}"
            lines += [
                f"{p} Direction: {direction}",
                f"{p} Type: {kind}",
                f"{p} Netstat Packets: {sent - lost}",
                f"{p} Netstat Loss: {lost}",
                f"{p} Netstat Jitter: {self.jitter_ms}",
            ]
            if self.rtt_ms is not None:
                lines.append(f"{p} Netstat RoundTripTime: {self.rtt_ms}")
        return "\n".join(lines) + "\n** end"

    def command(self, text: str) -> str:
        """`xCommand <text>`: its `*r` lines (one per field, as the lab's codec shell prints
        them); CommandRejected with the reason when refused, like the cisco_tp driver."""
        self._wait()
        self.commands.append(f"xCommand {text}")
        if text.startswith("Dial"):
            if self.dial_error:
                raise CommandRejected(f"codec: the codec refused `xCommand {text}`: {self.dial_error}")
            call_id = len(self.calls) + 1
            self.calls[call_id] = self.clock()
            head = "*r DialResult (status=OK):"
            return f"{head} CallId: {call_id}\n{head} ConferenceId: 1\n** end"
        if text.startswith("Call Disconnect"):
            if self.hangup_refused:
                raise CommandRejected(f"codec: the codec refused `xCommand {text}`: busy")
            self.hung_up.extend(c for c in self.calls if c not in self.hung_up)
            return "*r CallDisconnectResult (status=OK):\n** end"
        raise CommandRejected(f"codec: the codec refused `xCommand {text}`: Unknown command")

    def load_candidate(self, intended: str) -> None:
        self.candidate = intended

    def compare(self) -> Change:
        self._wait()
        return Change(self.drift, "\n".join(f"+{line}" for line in self.drift))


@dataclass
class FakeLinks:
    load: float | None = 2e6  # bit/s; None: Prometheus down
    up: bool | None = True
    queries: list[str] = field(default_factory=list)

    def load_bps(self, link_id: str) -> float:
        self.queries.append(link_id)
        if self.load is None:
            raise Unknown("Prometheus at http://127.0.0.1:1 is unreachable (connection refused)")
        return self.load

    def link_up(self, link_id: str) -> bool | None:
        return self.up


@dataclass
class FakeMarks:
    """Counts grow by `per_read` each time they are read (a call's packets between readings)."""

    per_read: MarkCounts | None = None
    reads: int = 0

    def observe_marks(self, site: str) -> MarkCounts | None:
        if self.per_read is None:
            return None
        self.reads += 1
        return MarkCounts(self.per_read.af41 * self.reads, self.per_read.ef * self.reads)


def endpoint(name: str = "vc-xa-da-huoai", **kw: object) -> Endpoint:
    site = name.removeprefix("vc-")
    base: dict[str, object] = {
        "host": name,
        "site": site,
        "agency": f"UBND {site}",
        "site_kind": "commune",
        "address": "10.127.0.50",
        "wan_link": f"vpn-{site}",
        "wan_link_mbps": 10,
        "cpe": f"cpe-{site}",
        "bitrate_kbps": 1920,
    }
    base.update(kw)
    return Endpoint(**base)  # type: ignore[arg-type]


@dataclass
class Bench:
    """A toolkit with fakes all round; `codecs` by host (made on first login)."""

    clock: FakeClock = field(default_factory=FakeClock)
    codec_options: dict[str, object] = field(default_factory=dict)
    per_host: dict[str, dict[str, object]] = field(default_factory=dict)
    codecs: dict[str, FakeCodec] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    login_fails: set[str] = field(default_factory=set)
    links: FakeLinks = field(default_factory=FakeLinks)
    marks: FakeMarks = field(default_factory=FakeMarks)
    closed: list[str] = field(default_factory=list)

    def open_codec(self, ep: Endpoint) -> contextlib.AbstractContextManager[Codec]:
        @contextlib.contextmanager
        def session() -> Iterator[Codec]:
            if ep.host in self.login_fails:
                raise ConnectionFailed(f"{ep.host}: authentication failed for user admin")
            codec = self.codecs.setdefault(
                ep.host,
                FakeCodec(clock=self.clock, **{**self.codec_options, **self.per_host.get(ep.host, {})}),  # type: ignore[arg-type]
            )
            try:
                yield codec
            finally:
                self.closed.append(ep.host)

        return session()

    def toolkit(self, **kw: object) -> Toolkit:
        options: dict[str, object] = {
            "open_codec": self.open_codec,
            "intent": lambda name: f"xConfiguration SIP URI: sip:{name}@vc.example",
            "test_room_uri": "sip:testroom@vc.lamvien.gov.vn",
            "call_controller": "srv-vc-1",
            "thresholds": Thresholds(),
            "reach": lambda ep: "no answer on TCP 22 within 3 s" if ep.host in self.unreachable else None,
            "wan": self.links,
            "marks": self.marks,
            "stop": self.clock.stop,
            "clock": self.clock,
            "sleep": self.clock.sleep,
        }
        options.update(kw)
        return Toolkit(**options)  # type: ignore[arg-type]
