"""One endpoint's readiness: the checks in order, stopping at the first that fails.

    reachable -> login -> config -> registered -> test call -> dscp -> headroom

The codec is reached through a `Codec` session (the `cisco_tp` driver, or a fake in unit
tests); everything else the checks observe comes in through the `Toolkit`, so a test can
replace any of it. A test call is always hung up, whatever happens while it is up (a failed
reading, an exception, an interrupt).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace

from infra.vc.call import place_test_call
from infra.vc.codec import Codec, CodecSession, OpenCodec, Toolkit, read_status
from infra.vc.model import (
    FAIL,
    NOT_OBSERVED,
    PASS,
    SKIPPED,
    UNKNOWN,
    CheckResult,
    Endpoint,
    Readiness,
)
from infra.vc.probes import MarkCounts, Unknown

__all__ = ["Codec", "CodecSession", "OpenCodec", "Toolkit", "check_endpoint", "read_status"]


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
            call = lambda: _behind_wan(place_test_call(codec, ep, tk, r, marks), ep, tk)  # noqa: E731
            if not run.check("test call", call):
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


def _behind_wan(res: CheckResult, ep: Endpoint, tk: Toolkit) -> CheckResult:
    """A failed test call behind a WAN link that is down says so: a codec's registration can
    read `Registered` for up to its refresh interval after the link went (RoomOS, baresip)."""
    if res.outcome != FAIL or not ep.wan_link or tk.wan.link_up(ep.wan_link) is not False:
        return res
    cpe = f" {ep.cpe}" if ep.cpe else ""
    return replace(
        res,
        message=f"{res.message}: WAN link {ep.wan_link} is down",
        advice=f"check the {ep.site_kind}'s CPE{cpe} and its tunnel",
    )


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
