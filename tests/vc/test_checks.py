"""One endpoint's readiness against a fake codec: each check's failure, its message and advice,
the order (stop at the first failure), and the test call always hung up."""

from __future__ import annotations

import pytest

from infra.vc.checks import check_endpoint
from infra.vc.model import CHECKS, Outcome
from infra.vc.probes import MarkCounts
from tests.vc.fakes import Bench, FakeLinks, FakeMarks, endpoint


def run(bench: Bench, **ep: object):  # type: ignore[no-untyped-def]
    return check_endpoint(endpoint(**ep), bench.toolkit(), "giao-ban-ubnd")


def names(r) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in r.checks]


def test_a_ready_endpoint_passes_every_check_in_order_and_hangs_up() -> None:
    bench = Bench(marks=FakeMarks(MarkCounts(100, 50)))
    r = run(bench)
    assert names(r) == list(CHECKS)
    assert [c.outcome for c in r.checks] == [Outcome.PASS] * len(CHECKS)
    assert r.ready and r.first_failure is None and r.line() == "ready"
    codec = bench.codecs["vc-xa-da-huoai"]
    assert codec.commands[
        codec.commands.index('xCommand Dial Number: "sip:testroom@vc.lamvien.gov.vn"') + 1 :
    ]
    assert codec.hung_up == [1] and "xCommand Call Disconnect CallId: 1" in codec.commands
    assert bench.closed == ["vc-xa-da-huoai"]
    assert r.call is not None and r.call.loss_ratio == 0 and r.call.mos > 4.0 and r.call.received > 0
    assert "connected in 0.5 s" in r.checks[4].message


def test_in_production_dscp_is_not_observed_and_that_is_not_a_pass() -> None:
    r = run(Bench())  # FakeMarks() observes nothing, like NoObserver
    dscp = r.checks[CHECKS.index("dscp")]
    assert dscp.outcome == Outcome.NOT_OBSERVED and dscp.outcome != Outcome.PASS
    assert r.ready and r.line() == "ready (DSCP not observed (nothing on the WAN path counts marks here))"


def test_unreachable_stops_at_the_first_check() -> None:
    bench = Bench(unreachable={"vc-xa-da-huoai"})
    r = run(bench)
    assert names(r) == ["reachable"] and not r.ready
    assert r.line() == (
        "unreachable: no answer on TCP 22 within 3 s -> check that the codec at UBND xa-da-huoai is "
        "powered and on its network and the WAN link vpn-xa-da-huoai"
    )
    assert bench.codecs == {}


def test_a_failed_login_is_the_login_check() -> None:
    bench = Bench(login_fails={"vc-xa-da-huoai"})
    r = run(bench)
    assert names(r) == ["reachable", "login"] and r.first_failure is not None
    assert r.line() == (
        "management login failed: vc-xa-da-huoai: authentication failed for user admin -> check "
        "credentials.codec_username/codec_password against the codec's admin user"
    )


def test_drift_fails_config_and_says_deploy() -> None:
    bench = Bench(codec_options={"drift": ("xConfiguration Conference AutoAnswer Mode: Off",)})
    r = run(bench)
    assert names(r) == ["reachable", "login", "config"]
    assert r.line() == (
        "configuration drift: 1 setting differs from intent -> run `infra deploy -l vc-xa-da-huoai` "
        "(the diff: `infra audit -l vc-xa-da-huoai`)"
    )
    assert bench.codecs["vc-xa-da-huoai"].candidate == "xConfiguration SIP URI: sip:vc-xa-da-huoai@vc.example"


@pytest.mark.parametrize(
    ("up", "line"),
    [
        (
            False,
            "not registered (Failed): WAN link vpn-xa-da-huoai is down -> check the commune's CPE "
            "cpe-xa-da-huoai and its tunnel",
        ),
        (
            True,
            "not registered (Failed) though WAN link vpn-xa-da-huoai is up -> check the codec's SIP "
            "settings and the call controller srv-vc-1",
        ),
        (
            None,
            "not registered (Failed) -> check WAN link vpn-xa-da-huoai (its state is unknown here) and "
            "the call controller srv-vc-1",
        ),
    ],
)
def test_not_registered_names_the_wan_link_and_what_to_do(up: bool | None, line: str) -> None:
    bench = Bench(codec_options={"registration": "Failed"}, links=FakeLinks(up=up))
    r = run(bench)
    assert names(r)[-1] == "registered" and r.line() == line
    assert bench.codecs["vc-xa-da-huoai"].calls == {}  # no test call placed


def test_a_refused_dial_fails_the_test_call() -> None:
    r = run(Bench(codec_options={"dial_error": "Not registered"}))
    assert r.line() == (
        "test call not placed: the codec refused the dial: Not registered -> check the test room "
        "sip:testroom@vc.lamvien.gov.vn and srv-vc-1"
    )


def test_a_call_that_does_not_connect_in_time_fails_and_is_hung_up() -> None:
    bench = Bench(codec_options={"connects_after": None})
    r = run(bench)
    assert r.first_failure is not None and r.first_failure.name == "test call"
    assert r.first_failure.message == "test call did not connect within 5 s (last: Ringing)"
    assert bench.codecs["vc-xa-da-huoai"].hung_up == [1]


def test_a_call_that_drops_before_connecting_says_so() -> None:
    r = run(Bench(codec_options={"ends_with": "Idle"}))
    assert r.first_failure is not None
    assert r.first_failure.message == "test call ended before it connected (Idle)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # nothing in one direction: waited call_setup_s (5 s) more for late statistics
        ({"pps_in": 0}, "no media from the test room in 11 s (sent 1100 packets)"),
        ({"pps_out": 0}, "no media sent to the test room in 11 s"),
        ({"loss_in": 0.05}, "packet loss 5.0% > 1%"),
        ({"jitter_ms": 45}, "jitter 45 ms > 30 ms"),
        ({"rtt_ms": 900}, "MOS 2.67 < 3.6 (R 52; loss 0.0%, jitter 2 ms, MOS 2.7)"),  # d = 900/2 + 2*2 ms
    ],
)
def test_media_quality_out_of_bounds_fails_the_test_call(options: dict[str, object], message: str) -> None:
    bench = Bench(codec_options=options)
    r = run(bench)
    assert r.first_failure is not None and r.first_failure.name == "test call"
    assert r.first_failure.message == message
    assert r.call is not None  # measured, so the metrics carry it
    assert bench.codecs["vc-xa-da-huoai"].hung_up == [1]


def test_the_call_is_hung_up_even_when_sampling_raises() -> None:
    bench = Bench(codec_options={"media_raises": True})
    r = run(bench)
    assert r.first_failure is not None and r.first_failure.name == "test call"
    assert "OSError: the session dropped while reading media channels" in r.first_failure.message
    assert bench.codecs["vc-xa-da-huoai"].hung_up == [1]
    assert bench.closed == ["vc-xa-da-huoai"]


def test_an_interrupt_during_the_sample_hangs_up_and_is_not_ready() -> None:
    bench = Bench()
    bench.clock.stop_at = bench.clock.now + 3  # Ctrl-C 3 s in: during the 6 s sample
    r = run(bench)
    assert r.first_failure is not None and r.first_failure.outcome == Outcome.UNKNOWN
    assert r.first_failure.message == "interrupted while the test call was sampled"
    assert bench.codecs["vc-xa-da-huoai"].hung_up == [1]


def test_a_hang_up_the_codec_refuses_is_a_failure_saying_how_to_hang_up() -> None:
    bench = Bench(codec_options={"hangup_refused": True})
    r = run(bench)
    assert r.line() == (
        "could not hang up the test call 1: busy -> hang up on the codec (xCommand Call DisconnectAll)"
    )
    assert bench.codecs["vc-xa-da-huoai"].commands[-2:] == [
        "xCommand Call Disconnect CallId: 1",
        "xCommand Call DisconnectAll",
    ]


def test_a_codec_already_in_a_call_is_not_dialled() -> None:
    bench = Bench(codec_options={"active_calls": 1})
    r = run(bench)
    assert r.checks[4].outcome == Outcome.SKIPPED and bench.codecs["vc-xa-da-huoai"].calls == {}
    assert r.checks[5].message == "DSCP not observed (no test call)"
    assert r.ready


def test_dscp_marks_that_do_not_reach_the_hub_fail() -> None:
    bench = Bench(marks=FakeMarks(MarkCounts(100, 0)))
    r = run(bench)
    assert r.line() == (
        "no EF (audio) marked packets from the test call reached the hub on vpn-xa-da-huoai -> check the "
        "codec's QoS settings (`infra deploy -l vc-xa-da-huoai`) and what re-marks on the path or the "
        "CPE cpe-xa-da-huoai"
    )


def test_no_headroom_on_the_wan_link_fails() -> None:
    bench = Bench(links=FakeLinks(load=9e6))
    r = run(bench, sharing=2)
    assert r.line() == (
        "no headroom: WAN link vpn-xa-da-huoai: 1.0 of 10 Mbit/s free, the meeting needs 3.84 for 2 "
        "endpoints -> free capacity on vpn-xa-da-huoai (transfers at UBND xa-da-huoai) or lower the "
        "meeting's bitrate"
    )


def test_prometheus_down_makes_headroom_unknown_not_a_pass() -> None:
    r = run(Bench(links=FakeLinks(load=None)))
    head = r.checks[-1]
    assert head.name == "headroom" and head.outcome == Outcome.UNKNOWN and not r.ready
    assert r.line() == (
        "headroom unknown: Prometheus at http://127.0.0.1:1 is unreachable (connection refused) -> "
        "start the monitoring or give --prometheus-url (or --skip headroom)"
    )


def test_skipped_checks_are_said_and_do_not_block() -> None:
    bench = Bench(links=FakeLinks(load=None))
    r = check_endpoint(endpoint(), bench.toolkit(skip=frozenset({"headroom", "test call"})))
    assert [c.outcome for c in r.checks][-3:] == [Outcome.SKIPPED, Outcome.NOT_OBSERVED, Outcome.SKIPPED]
    assert r.ready and bench.links.queries == []


def test_headroom_without_a_meeting_bitrate_is_not_checked() -> None:
    r = run(Bench(), bitrate_kbps=None)
    assert r.checks[-1].outcome == Outcome.SKIPPED and r.ready


def test_messages_are_masked() -> None:
    bench = Bench(codec_options={"registration": "Failed", "secret_in_answers": " Lab-Codec-Pw-6m2k"})
    tk = bench.toolkit(mask=lambda s: s.replace("Lab-Codec-Pw-6m2k", "<secret>"))
    r = check_endpoint(endpoint(), tk)
    assert "Lab-Codec-Pw-6m2k" not in r.line() and "<secret>" in r.line()


def test_media_statistics_that_lag_the_sample_are_waited_for() -> None:
    bench = Bench(codec_options={"stats_after_s": 8})  # the first RTCP report after the 6 s sample
    r = run(bench)
    assert r.checks[4].outcome == Outcome.PASS and r.call is not None and r.call.received > 0
    one_way = run(Bench(codec_options={"stats_after_s": 8, "pps_in": 0}))
    assert one_way.first_failure is not None
    assert one_way.first_failure.message == "no media from the test room in 11 s (sent 1100 packets)"
