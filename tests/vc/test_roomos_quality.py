"""Reading xAPI answers (shapes from Cisco's published RoomOS xAPI reference) and the E-model."""

from __future__ import annotations

import pytest

from infra.vc.quality import ASSUMED_ONE_WAY_DELAY_MS, mos, quality, r_factor
from infra.vc.roomos import Channel, XapiError, dial_call_id, media_channels, refused, status_value

REGISTERED = "*s SIP Registration 1 Status: Registered\n** end\n\nOK\n"
DIALLED = "OK\n*r DialResult (status=OK):\n    CallId: 7\n    ConferenceId: 3\n** end\n"
DIAL_ERROR = "*r DialResult (status=Error):\n    Reason: Not registered\n** end\n\nERROR\n"
MEDIA = """*s MediaChannels Call 7 Channel 330 Direction: incoming
*s MediaChannels Call 7 Channel 330 Type: audio
*s MediaChannels Call 7 Channel 330 Netstat Jitter: 3
*s MediaChannels Call 7 Channel 330 Netstat Loss: 2
*s MediaChannels Call 7 Channel 330 Netstat Packets: 498
*s MediaChannels Call 7 Channel 331 Direction: outgoing
*s MediaChannels Call 7 Channel 331 Type: video
*s MediaChannels Call 7 Channel 331 Netstat Packets: 900
*s MediaChannels Call 7 Channel 331 Netstat RoundTripTime: 60
*s MediaChannels Call 7 Channel 332 Type: data
*s MediaChannels Call 8 Channel 1 Type: audio
** end

OK
"""


def test_status_leaf() -> None:
    assert status_value(REGISTERED, "SIP Registration 1 Status") == "Registered"
    assert status_value(REGISTERED, "SIP  Registration 1 Status") == "Registered"
    assert status_value("** end\n\nOK\n", "Call 9 Status") is None  # no such call


def test_dial_result() -> None:
    assert dial_call_id(DIALLED) == 7 and refused(DIALLED) is None
    assert refused(DIAL_ERROR) == "Not registered"
    with pytest.raises(XapiError, match="refused the dial: Not registered"):
        dial_call_id(DIAL_ERROR)
    with pytest.raises(XapiError, match="no result"):
        dial_call_id("OK\n")
    assert refused("Command not recognized.\nERROR\n") == "Command not recognized."


def test_media_channels_of_one_call() -> None:
    assert media_channels(MEDIA, 7) == [
        Channel(330, "incoming", "audio", 498, 2, 3.0, None),
        Channel(331, "outgoing", "video", 900, 0, 0.0, 60.0),
    ]


def test_e_model_reference_points() -> None:
    assert r_factor(0, 0, 0) == pytest.approx(93.2)
    assert mos(93.2) == pytest.approx(4.41, abs=0.01)  # the E-model's best narrow-band call
    assert mos(0) == 1.0 and mos(120) == 4.5
    # 1% random loss with G.711+PLC: Ie_eff = 95 * 1 / (1 + 4.3) = 17.9
    assert r_factor(1.0, 0, 0) == pytest.approx(93.2 - 95 / 5.3)
    # delay beyond 177.3 ms costs the extra 0.11 per ms
    assert r_factor(0, 0, 200) == pytest.approx(93.2 - 0.024 * 200 - 0.11 * (200 - 177.3))
    assert r_factor(0, 10, 100) == pytest.approx(r_factor(0, 0, 120))  # jitter counts twice as delay


def test_quality_of_a_sample_uses_the_deltas_and_the_worst_direction() -> None:
    before = [
        Channel(1, "incoming", "audio", 100, 0, 2, None),
        Channel(2, "outgoing", "audio", 100, 0, 2, 80),
    ]
    after = [
        Channel(1, "incoming", "audio", 290, 10, 4, None),
        Channel(2, "outgoing", "audio", 300, 0, 2, 80),
    ]
    q = quality(before, after)
    assert (q.received, q.sent) == (190, 200)
    assert q.loss_ratio == pytest.approx(10 / 200) and q.jitter_ms == 4
    assert q.delay_ms == 40 and q.delay_measured
    assert q.mos == pytest.approx(mos(r_factor(5.0, 4, 40)))


def test_an_unmeasured_delay_is_assumed_at_the_planning_bound() -> None:
    q = quality([], [Channel(1, "incoming", "audio", 10, 0, 1, None)])
    assert q.delay_ms == ASSUMED_ONE_WAY_DELAY_MS and not q.delay_measured


def test_the_result_shapes_of_the_lab_codec_shell_and_of_flattened_answers() -> None:
    # the lab's codec shell prints one `*r` line per field (infra/lab/codec/xapi.py)
    shell = "*r DialResult (status=OK): CallId: 4\n*r DialResult (status=OK): ConferenceId: 4\n** end"
    assert dial_call_id(shell) == 4
    refused_by_shell = (
        "*r DialResult (status=Error): Reason: the SIP user agent does not answer\n** end\n\nERROR"
    )
    assert refused(refused_by_shell) == "the SIP user agent does not answer"
    assert dial_call_id("*r DialResult CallId: 9\n** end") == 9  # no status part
