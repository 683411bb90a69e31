"""The test call of a readiness check: dial the test room, wait for Connected, sample the media,
judge loss, jitter and MOS, and hang up whatever happens (an exception, an interrupt)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from infra.drivers.base import ConnectionFailed, DriverError
from infra.vc.codec import Codec, Toolkit, read_status
from infra.vc.model import (
    FAIL,
    PASS,
    SKIPPED,
    UNKNOWN,
    CheckResult,
    Endpoint,
    Readiness,
)
from infra.vc.probes import MarkCounts
from infra.vc.quality import CallQuality, quality
from infra.vc.roomos import XapiError, dial_call_id, media_channels, refused


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


def place_test_call(
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
