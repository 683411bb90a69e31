"""What makes a silence acceptable, as pure rules: matchers in Alertmanager's words, durations, ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from infra.oncall.silence_rules import (
    BadSilence,
    check_silence,
    ends_at_from_json,
    matcher_lines,
    parse_duration,
    parse_matcher_lines,
    scope_of,
)
from infra.oncall.sources import Matcher

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_matcher_lines_in_alertmanagers_words_round_trip() -> None:
    text = (
        'alertname="InfraWanLinkDown"\n\n host =~ "cpe-.*" \n'
        'site!="dc"\nlink_id!~vpn-x\ncomment="say \\"hi\\""'
    )
    matchers = parse_matcher_lines(text)
    assert matchers == [
        Matcher("alertname", "InfraWanLinkDown"),
        Matcher("host", "cpe-.*", is_regex=True),
        Matcher("site", "dc", is_equal=False),
        Matcher("link_id", "vpn-x", is_regex=True, is_equal=False),
        Matcher("comment", 'say "hi"'),
    ]
    assert parse_matcher_lines(matcher_lines(matchers)) == matchers


def test_a_line_that_is_no_matcher_names_its_number() -> None:
    with pytest.raises(BadSilence, match="matcher line 2 is not"):
        parse_matcher_lines('alertname="x"\nhost is cpe-1')


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1d 2h 5min", timedelta(days=1, hours=2, minutes=5)),
    ],
)
def test_durations(text: str, length: timedelta) -> None:
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["", "2", "two hours", "2w", "-1h"])
def test_a_duration_that_is_not_one(text: str) -> None:
    with pytest.raises(BadSilence):
        parse_duration(text)


def test_one_minute_to_thirty_days() -> None:
    ok = [Matcher("alertname", "X")]
    assert check_silence(ok, " why ", NOW + timedelta(minutes=1), NOW).comment == "why"
    assert check_silence(ok, "why", NOW + timedelta(days=30), NOW).ends_at == NOW + timedelta(days=30)
    for end in (NOW + timedelta(seconds=59), NOW + timedelta(days=30, minutes=1), NOW - timedelta(hours=1)):
        with pytest.raises(BadSilence, match="between 1 minute and 30 days"):
            check_silence(ok, "why", end, NOW)


def test_ends_at_needs_a_zone() -> None:
    assert ends_at_from_json({"ends_at": "2026-12-07T10:00:00+07:00"}, NOW) == NOW
    with pytest.raises(BadSilence, match="time zone"):
        ends_at_from_json({"ends_at": "2026-12-07T10:00:00"}, NOW)
    with pytest.raises(BadSilence, match="hours must be a number"):
        ends_at_from_json({"hours": True}, NOW)


def test_an_alerts_scope_is_its_name_and_where_it_is() -> None:
    labels = {
        "alertname": "InfraWanLinkDown",
        "severity": "critical",
        "site": "so-y-te",
        "link_id": "vpn-so-y-te",
    }
    assert scope_of(labels) == [
        Matcher("alertname", "InfraWanLinkDown"),
        Matcher("site", "so-y-te"),
        Matcher("link_id", "vpn-so-y-te"),
    ]
