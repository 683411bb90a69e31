"""Call quality over a sample: loss, jitter and a MOS estimate (the E-model, simplified).

The E-model of ITU-T G.107 rates a call by a transmission rating factor R; with every
parameter at its default (no echo, quiet room) R starts at 93.2 and loses the delay impairment
Id and the effective equipment (loss) impairment Ie_eff:

    R      = 93.2 - Id - Ie_eff
    Id     = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)      d: one-way delay in ms, H: step
    Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)    Ppl: packet loss in %
    MOS    = 1 + 0.035 R + 7e-6 R (R - 60) (100 - R)      (1 below R = 0, 4.5 above R = 100)

with Ie = 0 and Bpl = 4.3 (G.711 with packet loss concealment, ITU-T G.113 Appendix I) and
random loss (BurstR = 1). Jitter enters as delay: a jitter buffer sized to twice the jitter
holds every packet that long (a common simplification, not part of G.107). A codec that
reports no round-trip time is assumed at G.114's 150 ms planning bound for one-way delay, so an
unknown delay never makes a call look better than an acceptable one.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.vc.roomos import Channel

R0_MINUS_IS = 93.2
IE_G711 = 0.0
BPL_G711_PLC = 4.3
ASSUMED_ONE_WAY_DELAY_MS = 150.0


def delay_impairment(delay_ms: float) -> float:
    d = max(delay_ms, 0.0)
    return 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0.0)


def loss_impairment(loss_pct: float, ie: float = IE_G711, bpl: float = BPL_G711_PLC) -> float:
    ppl = max(loss_pct, 0.0)
    return ie + (95.0 - ie) * ppl / (ppl + bpl)


def r_factor(loss_pct: float, jitter_ms: float, delay_ms: float) -> float:
    return R0_MINUS_IS - delay_impairment(delay_ms + 2.0 * jitter_ms) - loss_impairment(loss_pct)


def mos(r: float) -> float:
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)


@dataclass(frozen=True)
class CallQuality:
    """What the test call's sample measured."""

    received: int  # packets that came in from the test room during the sample
    sent: int  # packets that went out to it
    loss_ratio: float  # worst direction, 0..1
    jitter_ms: float  # worst channel
    delay_ms: float  # one-way, as used in R (measured RTT / 2, or the assumed bound)
    delay_measured: bool
    r: float
    mos: float

    def as_dict(self) -> dict[str, float | int | bool]:
        return {
            "received": self.received,
            "sent": self.sent,
            "loss_ratio": round(self.loss_ratio, 5),
            "jitter_ms": round(self.jitter_ms, 2),
            "delay_ms": round(self.delay_ms, 1),
            "delay_measured": self.delay_measured,
            "r": round(self.r, 1),
            "mos": round(self.mos, 2),
        }


def quality(before: list[Channel], after: list[Channel]) -> CallQuality:
    """The sample between two readings of the call's media channels (counters are cumulative)."""
    start = {c.channel: c for c in before}
    recv = sent = lost_in = lost_out = 0
    for c in after:
        b = start.get(c.channel)
        packets = c.packets - (b.packets if b else 0)
        lost = c.loss - (b.loss if b else 0)
        if c.direction == "incoming":
            recv, lost_in = recv + max(packets, 0), lost_in + max(lost, 0)
        elif c.direction == "outgoing":
            sent, lost_out = sent + max(packets, 0), lost_out + max(lost, 0)
    loss = max(_ratio(lost_in, recv + lost_in), _ratio(lost_out, sent))
    jitter = max((c.jitter_ms for c in after), default=0.0)
    rtts = [c.round_trip_ms for c in after if c.round_trip_ms is not None]
    delay = max(rtts) / 2 if rtts else ASSUMED_ONE_WAY_DELAY_MS
    r = r_factor(loss * 100, jitter, delay)
    return CallQuality(recv, sent, loss, jitter, delay, bool(rtts), r, mos(r))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole > 0 else 0.0
