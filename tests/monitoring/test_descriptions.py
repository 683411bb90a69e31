"""Every alert's summary and description say what its rule does: the duration they state is the
rule's `for:` (in fast mode too), every threshold the expression compares against is stated, and
every number they state is one of the expression's (or its `for:`). A rule change that leaves a
text behind fails here; the labels a description prints are checked in test_promtool.py."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from infra.monitoring import RenderOptions
from infra.monitoring.alerts import ALERTS, Alert
from infra.monitoring.rules import alert_rule, spoken_duration

TEMPLATE = re.compile(r"\{\{.*?\}\}")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# "for 2 minutes": a stated duration of the condition, which must be the rule's `for:`
FOR_PHRASE = re.compile(r"\bfor (\d+ (?:second|minute|hour)s?)\b")
# a threshold the expression compares against (`== 0`/`!= 6` compare states, not thresholds)
THRESHOLD = re.compile(r"(?:[<>]=?)\s*(\d+(?:\.\d+)?)")
# numbers in the expression, and the units operators read them in: ratio as %, seconds as ms
SCALES = (1, 100, 1000)


def _texts(rule: dict[str, object]) -> str:
    annotations = rule["annotations"]
    assert isinstance(annotations, dict)
    return TEMPLATE.sub(" ", f"{annotations['summary']} {annotations['description']}")


def _numbers(text: str) -> set[float]:
    return {float(n) for n in NUMBER.findall(text)}


def _stated(value: float, numbers: set[float]) -> bool:
    return any(abs(value * scale - n) < 1e-9 for scale in SCALES for n in numbers)


def problems(alert: Alert, fast: bool) -> list[str]:
    """What the summary and description of ALERT's rendered rule say that its rule does not."""
    rule = alert_rule(alert, RenderOptions(fast_alerts=fast))
    text = _texts(rule)
    for_ = str(rule["for"])
    found: list[str] = []
    if FOR_PHRASE.findall(text) != [spoken_duration(for_)]:
        found.append(f"states {FOR_PHRASE.findall(text)} where its `for:` is {for_} (write `for {{for}}`)")
    # the expression's numbers: literals (not inside recording-rule names) and range windows
    expr_numbers = _numbers(re.sub(r"[a-z_]+:[a-z_:0-9]+", " ", alert.expr))
    expr_numbers |= {float(m) for m in re.findall(r"\[(\d+)[smhd]\]", alert.expr)}
    stated = _numbers(text)
    for threshold in (float(t) for t in THRESHOLD.findall(alert.expr)):
        if threshold != 0 and not _stated(threshold, stated):
            found.append(f"threshold {threshold:g} of the expression is not stated")
    for n in _numbers(FOR_PHRASE.sub(" ", text)):
        if n != float(for_[:-1]) and not any(_stated(e, {n}) for e in expr_numbers):
            found.append(f"states {n:g}, which is neither a number of the expression nor its `for:`")
    return found


@pytest.mark.parametrize("fast", [False, True], ids=["normal", "fast-alerts"])
@pytest.mark.parametrize("alert", ALERTS, ids=[a.name for a in ALERTS])
def test_description_matches_the_rule(alert: Alert, fast: bool) -> None:
    assert problems(alert, fast) == []


def _changed(name: str, **fields: str) -> Alert:
    alert = next(a for a in ALERTS if a.name == name)
    return replace(alert, **fields)


@pytest.mark.parametrize(
    ("alert", "problem"),
    [
        # issue 12: the description said "down for 1 minute" while `for:` was 5 s
        (
            _changed("InfraWanLinkDown", description="{{ $labels.link_id }} has been down for 1 minute."),
            "`for:` is 5s",
        ),
        (_changed("InfraWanLinkDown", description="{{ $labels.link_id }} is down."), "`for:` is 5s"),
        (_changed("InfraUpsOverload", expr="upsAdvOutputLoad > 95"), "threshold 95"),
        (_changed("InfraServerClockDrift", expr="abs(node_timex_offset_seconds) > 0.1"), "threshold 0.1"),
        (_changed("InfraServerClockDrift", expr="abs(node_timex_offset_seconds) > 0.1"), "states 50"),
    ],
    ids=["for-stated-wrong", "for-not-stated", "threshold-raised", "threshold-in-ms", "number-left-behind"],
)
def test_the_check_catches_a_text_left_behind(alert: Alert, problem: str) -> None:
    assert any(problem in p for p in problems(alert, fast=True)), problems(alert, fast=True)


@pytest.mark.parametrize(("for_", "spoken"), [("5s", "5 seconds"), ("1m", "1 minute"), ("1h", "1 hour")])
def test_spoken_duration(for_: str, spoken: str) -> None:
    assert spoken_duration(for_) == spoken
