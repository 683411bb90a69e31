"""One endpoint's readiness: the checks in order, stopping at the first that fails.

    reachable -> login -> config -> registered -> test call -> dscp -> headroom

The codec is reached through a `Codec` session (the `cisco_tp` driver, or a fake in unit
tests); everything else the checks observe comes in through the `Toolkit`, so a test can
replace any of it. A test call is always hung up, whatever happens while it is up (a failed
reading, an exception, an interrupt).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Protocol

from infra.drivers.base import ConnectionFailed, DriverError
from infra.drivers.configtree import Change
from infra.vc.model import CheckResult, Endpoint, Outcome, Readiness, Thresholds
from infra.vc.probes import MarkCounts, MarkObserver, NoObserver, Unknown, WanLinks
from infra.vc.quality import CallQuality, quality
from infra.vc.roomos import XapiError, dial_call_id, media_channels, refused, status_value

PASS, FAIL, UNKNOWN, NOT_OBSERVED, SKIPPED = (
    Outcome.PASS,
    Outcome.FAIL,
    Outcome.UNKNOWN,
    Outcome.NOT_OBSERVED,
    Outcome.SKIPPED,
)


class CodecSession(Protocol):
    """The xAPI a readiness check speaks (the `cisco_tp` driver's reading methods):

    status(path)   the value of one `xStatus` leaf ("Registered"); DriverError when it has none
    command(text)  `xCommand <text>`, its `*r` result; CommandRejected when the codec refuses
    show(command)  a whole answer's `*s` lines (a subtree such as `xStatus MediaChannels Call 2`)
    """

    def status(self, path: str) -> str: ...

    def command(self, text: str) -> str: ...

    def show(self, command: str) -> str: ...


class Codec(CodecSession, Protocol):
    """A codec session that can also compare its running configuration with the intent
    (the driver contract's load_candidate/compare)."""

    def load_candidate(self, intended: str) -> None: ...

    def compare(self) -> Change: ...


OpenCodec = Callable[[Endpoint], AbstractContextManager[Codec]]


@dataclass
class Toolkit:
    open_codec: OpenCodec
    intent: Callable[[str], str]  # host name -> its intended configuration
    test_room_uri: str
    call_controller: str
    thresholds: Thresholds
    reach: Callable[[Endpoint], str | None]  # None: TCP 22 answers; else why not
    wan: WanLinks
    marks: MarkObserver = field(default_factory=NoObserver)
    skip: frozenset[str] = frozenset()
    stop: threading.Event = field(default_factory=threading.Event)
    calls: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(30))
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], bool] | None = None  # waits; True when interrupted (default: on `stop`)
    mask: Callable[[str], str] = str
    poll_s: float = 0.25

    def wait(self, seconds: float) -> bool:
        """Sleep; True when interrupted meanwhile."""
        return self.sleep(seconds) if self.sleep is not None else self.stop.wait(seconds)


def read_status(codec: CodecSession, path: str) -> str | None:
    """One xStatus leaf, None when the codec has no such leaf (a call that is gone). A lost
    session is not "no value": ConnectionFailed goes on up."""
    try:
        text = codec.status(path)
    except ConnectionFailed:
        raise
    except DriverError:
        return None
    if "*s " in text:  # a whole answer rather than the value
        return status_value(text, path)
    return text.strip() or None


class _Run:
    def __init__(self, ep: Endpoint, tk: Toolkit, readiness: Readiness) -> None:
        self.ep, self.tk, self.r = ep, tk, readiness

    def check(self, name: str, fn: Callable[[], CheckResult]) -> bool:
        """Run one check (unless skipped); True when the next may run."""
        if name in self.tk.skip:
            self.r.checks.append(CheckResult(name, SKIPPED, f"{name} skipped (--skip)"))
            return True
        t0 = self.tk.clock()
        try:
            res = fn()
        except Unknown as exc:
            res = CheckResult(name, UNKNOWN, f"{name} unknown: {exc}")
        except Exception as exc:  # one check's surprise is that check's failure, not the run's
            res = CheckResult(name, FAIL, f"{name}: {type(exc).__name__}: {exc}")
        res = replace(
            res,
            message=self.tk.mask(res.message),
            advice=self.tk.mask(res.advice),
            duration_s=self.tk.clock() - t0,
        )
        self.r.checks.append(res)
        return not res.blocks


def check_endpoint(ep: Endpoint, tk: Toolkit, meeting: str | None = None) -> Readiness:
    r = Readiness(ep, meeting)
    run = _Run(ep, tk, r)
    t0 = tk.clock()
    try:
        if not run.check("reachable", lambda: _reachable(ep, tk)):
            return r
        with contextlib.ExitStack() as stack:
            sessions: list[Codec] = []

            def login() -> CheckResult:
                try:
                    sessions.append(stack.enter_context(tk.open_codec(ep)))
                except Exception as exc:
                    return CheckResult(
                        "login",
                        FAIL,
                        f"management login failed: {exc}",
                        "check credentials.codec_username/codec_password against the codec's admin user",
                    )
                return CheckResult("login", PASS, "management login works")

            if not run.check("login", login) or not sessions:
                return r
            codec = sessions[0]
            if not run.check("config", lambda: _config(codec, ep, tk)):
                return r
            if not run.check("registered", lambda: _registered(codec, ep, tk)):
                return r
            marks: list[MarkCounts | None] = []
            if not run.check("test call", lambda: _test_call(codec, ep, tk, r, marks)):
                return r
            if not run.check("dscp", lambda: _dscp(ep, marks)):
                return r
        run.check("headroom", lambda: _headroom(ep, tk))
        return r
    finally:
        r.duration_s = tk.clock() - t0


def _reachable(ep: Endpoint, tk: Toolkit) -> CheckResult:
    why = tk.reach(ep)
    if why is None:
        return CheckResult("reachable", PASS, f"TCP {ep.port} answers")
    path = f" and the WAN link {ep.wan_link}" if ep.wan_link else ""
    return CheckResult(
        "reachable",
        FAIL,
        f"unreachable: {why}",
        f"check that the codec at {ep.agency} is powered and on its network{path}",
    )


def _config(codec: Codec, ep: Endpoint, tk: Toolkit) -> CheckResult:
    codec.load_candidate(tk.intent(ep.host))
    change = codec.compare()
    if change.empty:
        return CheckResult("config", PASS, "configuration matches intent")
    n = len(change.remediation)
    return CheckResult(
        "config",
        FAIL,
        f"configuration drift: {n} setting{'s differ' if n != 1 else ' differs'} from intent",
        f"run `infra deploy -l {ep.host}` (the diff: `infra audit -l {ep.host}`)",
    )


def _registered(codec: Codec, ep: Endpoint, tk: Toolkit) -> CheckResult:
    state = read_status(codec, "SIP Registration 1 Status")
    if state == "Registered":
        return CheckResult("registered", PASS, f"registered to {tk.call_controller}")
    said = f"not registered ({state or 'no registration'})"
    link = ep.wan_link
    up = tk.wan.link_up(link) if link else None
    controller = f"the call controller {tk.call_controller}"
    if link and up is False:
        cpe = f" {ep.cpe}" if ep.cpe else ""
        return CheckResult(
            "registered",
            FAIL,
            f"{said}: WAN link {link} is down",
            f"check the {ep.site_kind}'s CPE{cpe} and its tunnel",
        )
    if link and up:
        return CheckResult(
            "registered",
            FAIL,
            f"{said} though WAN link {link} is up",
            f"check the codec's SIP settings and {controller}",
        )
    where = f"WAN link {link} (its state is unknown here) and " if link else ""
    return CheckResult("registered", FAIL, said, f"check {where}{controller}")


def _observe(tk: Toolkit, site: str) -> MarkCounts | None:
    try:
        return tk.marks.observe_marks(site)
    except Exception:  # an observer that fails observes nothing: "not observed", never a pass
        return None


@contextlib.contextmanager
def _call_slot(tk: Toolkit) -> Iterator[bool]:
    """A slot among the simultaneous test calls the test room takes; False if interrupted."""
    while not tk.calls.acquire(timeout=0.2):
        if tk.stop.is_set():
            yield False
            return
    try:
        yield True
    finally:
        tk.calls.release()


def _test_call(
    codec: Codec, ep: Endpoint, tk: Toolkit, r: Readiness, marks: list[MarkCounts | None]
) -> CheckResult:
    busy = read_status(codec, "SystemUnit State NumberOfActiveCalls")
    if busy and busy.isdigit() and int(busy) > 0:
        return CheckResult("test call", SKIPPED, "in a call already: no test call placed")
    with _call_slot(tk) as free:
        if not free:
            return CheckResult("test call", UNKNOWN, "interrupted before the test call")
        marks.append(_observe(tk, ep.site))
        try:
            call_id = dial_call_id(codec.command(f'Dial Number: "{tk.test_room_uri}"'))
        except (XapiError, DriverError) as exc:
            if isinstance(exc, ConnectionFailed):
                raise
            why = f"the codec refused the dial: {_reason(exc)}" if isinstance(exc, DriverError) else str(exc)
            return CheckResult("test call", FAIL, f"test call not placed: {why}", _room_advice(tk))
        result: CheckResult | None = None
        try:
            result = _connected_call(codec, call_id, tk, r)
            marks.append(_observe(tk, ep.site))
        finally:
            failed_hangup = _hang_up(codec, call_id)
        if failed_hangup:
            return CheckResult(
                "test call",
                FAIL,
                f"could not hang up the test call {call_id}: {failed_hangup}",
                "hang up on the codec (xCommand Call DisconnectAll)",
            )
        return result


def _reason(exc: Exception) -> str:
    """The codec's own reason out of the driver's "host: the codec refused `cmd`: reason"."""
    text = str(exc)
    return text.rsplit("`: ", 1)[1] if "`: " in text else text


def _room_advice(tk: Toolkit) -> str:
    return f"check the test room {tk.test_room_uri} and {tk.call_controller}"


def _connected_call(codec: Codec, call_id: int, tk: Toolkit, r: Readiness) -> CheckResult:
    th = tk.thresholds
    start = tk.clock()
    state: str | None = None
    while True:
        state = read_status(codec, f"Call {call_id} Status")
        if state == "Connected":
            break
        if state in ("Idle", "Disconnecting"):
            return CheckResult(
                "test call", FAIL, f"test call ended before it connected ({state})", _room_advice(tk)
            )
        if tk.clock() - start >= th.call_setup_s:
            return CheckResult(
                "test call",
                FAIL,
                f"test call did not connect within {th.call_setup_s:g} s (last: {state or 'no status'})",
                _room_advice(tk),
            )
        if tk.wait(tk.poll_s):
            return CheckResult("test call", UNKNOWN, "interrupted while the test call was set up")
    setup = tk.clock() - start
    media = f"xStatus MediaChannels Call {call_id}"
    before = media_channels(codec.show(media), call_id)
    sampled_from = tk.clock()
    if tk.wait(th.sample_s):
        return CheckResult("test call", UNKNOWN, "interrupted while the test call was sampled")
    q = quality(before, media_channels(codec.show(media), call_id))
    # Statistics that come from RTCP (the lab's stand-in: a report every ~5 s) may lag the
    # sample: give a direction that shows nothing yet up to call_setup_s more before judging.
    late = tk.clock() + th.call_setup_s
    while (q.received == 0 or q.sent == 0) and tk.clock() < late:
        if tk.wait(tk.poll_s):
            return CheckResult("test call", UNKNOWN, "interrupted while the test call was sampled")
        q = quality(before, media_channels(codec.show(media), call_id))
    r.call = q
    return _judge(q, setup, tk.clock() - sampled_from, tk)


def _judge(q: CallQuality, setup: float, sampled: float, tk: Toolkit) -> CheckResult:
    th = tk.thresholds
    wan = "check the site's WAN link (errors, congestion) and the media relay"
    if q.received == 0:
        return CheckResult(
            "test call",
            FAIL,
            f"no media from the test room in {sampled:.0f} s (sent {q.sent} packets)",
            f"check the media relay on {tk.call_controller} and RTP through the WAN path",
        )
    if q.sent == 0:
        return CheckResult(
            "test call",
            FAIL,
            f"no media sent to the test room in {sampled:.0f} s",
            "check the codec's camera and microphone (xStatus MediaChannels)",
        )
    figures = f"loss {q.loss_ratio * 100:.1f}%, jitter {q.jitter_ms:g} ms, MOS {q.mos:.1f}"
    if q.loss_ratio * 100 > th.max_loss_pct:
        return CheckResult(
            "test call", FAIL, f"packet loss {q.loss_ratio * 100:.1f}% > {th.max_loss_pct:g}%", wan
        )
    if q.jitter_ms > th.max_jitter_ms:
        return CheckResult("test call", FAIL, f"jitter {q.jitter_ms:g} ms > {th.max_jitter_ms:g} ms", wan)
    if q.mos < th.min_mos:
        return CheckResult(
            "test call", FAIL, f"MOS {q.mos:.2f} < {th.min_mos:g} (R {q.r:.0f}; {figures})", wan
        )
    return CheckResult("test call", PASS, f"connected in {setup:.1f} s; {figures}")


def _hang_up(codec: Codec, call_id: int) -> str | None:
    """Hang up the test call (that call, else every call: none was up before it); None when done."""
    why = "no answer"
    for command in (f"Call Disconnect CallId: {call_id}", "Call DisconnectAll"):
        try:
            why = refused(codec.command(command)) or ""
        except DriverError as exc:
            why = _reason(exc)
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
        if not why:
            return None
    return why


def _dscp(ep: Endpoint, marks: list[MarkCounts | None]) -> CheckResult:
    if len(marks) < 2 or marks[0] is None or marks[1] is None:
        why = "no test call" if len(marks) < 2 else "nothing on the WAN path counts marks here"
        return CheckResult("dscp", NOT_OBSERVED, f"DSCP not observed ({why})")
    seen = marks[1] - marks[0]
    where = f"the hub on {ep.wan_link}" if ep.wan_link else "the WAN path"
    missing = [name for name, n in (("EF (audio)", seen.ef), ("AF41 (video)", seen.af41)) if n <= 0]
    if not missing:
        return CheckResult("dscp", PASS, f"AF41 {seen.af41} and EF {seen.ef} packets reached {where}")
    cpe = f" or the CPE {ep.cpe}" if ep.cpe else ""
    return CheckResult(
        "dscp",
        FAIL,
        f"no {' and no '.join(missing)} marked packets from the test call reached {where}",
        f"check the codec's QoS settings (`infra deploy -l {ep.host}`) and what re-marks on the path{cpe}",
    )


def _headroom(ep: Endpoint, tk: Toolkit) -> CheckResult:
    if ep.bitrate_kbps is None:
        return CheckResult("headroom", SKIPPED, "headroom not checked: no meeting names this endpoint")
    if not ep.wan_link or not ep.wan_link_mbps:
        return CheckResult("headroom", SKIPPED, f"headroom not checked: {ep.site} has no WAN-VPN link")
    speed = ep.wan_link_mbps * 1e6
    need = ep.bitrate_kbps * 1e3 * ep.sharing
    try:
        load = tk.wan.load_bps(ep.wan_link)
    except Unknown as exc:
        return CheckResult(
            "headroom",
            UNKNOWN,
            f"headroom unknown: {exc}",
            "start the monitoring or give --prometheus-url (or --skip headroom)",
        )
    free = max(speed - load, 0.0)
    shared = f" for {ep.sharing} endpoints" if ep.sharing > 1 else ""
    said = (
        f"WAN link {ep.wan_link}: {free / 1e6:.1f} of {speed / 1e6:g} Mbit/s free, "
        f"the meeting needs {need / 1e6:.2f}{shared}"
    )
    if free >= need:
        return CheckResult("headroom", PASS, said)
    return CheckResult(
        "headroom",
        FAIL,
        f"no headroom: {said}",
        f"free capacity on {ep.wan_link} (transfers at {ep.agency}) or lower the meeting's bitrate",
    )
