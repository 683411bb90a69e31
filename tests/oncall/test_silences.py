"""The Silences page and API against a real Alertmanager: a silence scoped from an alert in one click,
the author is always the logged-in user, expiring works, and silences that would silence too much
(or say nothing of why, or last too long) never reach Alertmanager."""

from __future__ import annotations

import html
import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from infra.inventory import Inventory
from tests.monitoring.alertmanager_testlib import post_alerts
from tests.oncall.conftest import board_client, wait_for
from tests.oncall.sessions import (
    OPERATOR,
    am_silence,
    am_silences,
    api_token,
    expire_all_of_tests,
    form_token,
    login,
)

MARKER = "oncall-silences-test"
# Labels of no real device, so the other tests sharing this Alertmanager never see them silenced.
PROBE = {
    "alertname": "InfraOncallSilenceProbe",
    "severity": "warning",
    "host": "test-silence-cpe-1",
    "site": "test-silence-site",
    "link_id": "test-silence-link",
    "case": "oncall-silences",
}


@pytest.fixture
def operator(example_inventory: Inventory, alertmanager: str, tmp_path: Path) -> Iterator[TestClient]:
    with board_client(example_inventory, alertmanager, alertmanager, tmp_path) as client:
        assert login(client, *OPERATOR).status_code == 303
        yield client
    expire_all_of_tests(alertmanager, MARKER)


@pytest.fixture
def probe_alert(alertmanager: str) -> Iterator[dict[str, Any]]:
    """PROBE firing at Alertmanager; resolved afterwards. Yields it as Alertmanager lists it."""
    post_alerts(alertmanager, [PROBE])

    def listed() -> dict[str, Any] | None:
        with urllib.request.urlopen(f"{alertmanager}/api/v2/alerts?filter=case%3D%22oncall-silences%22") as r:
            return next(iter(json.load(r)), None)

    yield wait_for("the probe alert at Alertmanager", listed)
    body = json.dumps(
        [
            {
                "labels": PROBE,
                "startsAt": datetime.now(UTC).isoformat(),
                "endsAt": datetime.now(UTC).isoformat(),
            }
        ]
    )
    req = urllib.request.Request(
        f"{alertmanager}/api/v2/alerts", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(req, timeout=5).close()


def prefilled(page: str) -> str:
    """The matchers the Silences page's form was filled with."""
    textarea = re.search(r'<textarea name="matchers"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea is not None, page[:2000]
    return html.unescape(textarea.group(1))


def submit_as_filled(client: TestClient, page: str, comment: str, duration: str) -> Any:
    """The form of PAGE submitted with the matchers it was filled with."""
    data = {
        "csrf_token": form_token(page),
        "matchers": prefilled(page),
        "comment": comment,
        "duration": duration,
    }
    return client.post("/silences", data=data)


def create(client: TestClient, **body: Any) -> Any:
    payload = {
        "matchers": [{"name": "alertname", "value": "InfraOncallSilenceTest", "isRegex": False}],
        "comment": f"{MARKER}: planned works",
        "hours": 2,
    } | body
    return client.post("/api/silences", json=payload, headers={"X-CSRF-Token": api_token(client)})


def test_the_author_is_the_logged_in_user_whatever_the_body_says(
    operator: TestClient, alertmanager: str
) -> None:
    answer = create(operator, createdBy="mallory", created_by="mallory", author="mallory")
    assert answer.status_code == 201, answer.text
    silence_id = answer.json()["id"]
    assert answer.json()["created_by"] == "truc-ban"
    at_am = am_silence(alertmanager, silence_id)
    assert at_am["createdBy"] == "truc-ban"
    assert at_am["comment"] == f"{MARKER}: planned works"
    assert at_am["matchers"] == [
        {"name": "alertname", "value": "InfraOncallSilenceTest", "isRegex": False, "isEqual": True}
    ]
    lasts = datetime.fromisoformat(at_am["endsAt"].replace("Z", "+00:00")) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=58) < lasts <= timedelta(hours=2)
    listed = {s["id"]: s for s in operator.get("/api/silences").json()["silences"]}
    assert listed[silence_id]["created_by"] == "truc-ban" and listed[silence_id]["state"] == "active"


def test_one_click_from_an_alert_silences_exactly_that_alert(
    operator: TestClient, alertmanager: str, probe_alert: dict[str, Any]
) -> None:
    page = operator.get("/silences", params={"alert": probe_alert["fingerprint"]})
    assert page.status_code == 200
    assert prefilled(page.text).splitlines() == [
        'alertname="InfraOncallSilenceProbe"',
        'host="test-silence-cpe-1"',
        'site="test-silence-site"',
        'link_id="test-silence-link"',
    ]
    assert "InfraOncallSilenceProbe" in page.text and "Author: truc-ban" in page.text
    answer = submit_as_filled(operator, page.text, f"{MARKER}: carrier works on the link", "1d")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/silences?created=")
    silence_id = answer.headers["location"].split("=", 1)[1]
    at_am = am_silence(alertmanager, silence_id)
    assert at_am["createdBy"] == "truc-ban"
    assert {m["name"]: m["value"] for m in at_am["matchers"]} == {
        k: PROBE[k] for k in ("alertname", "host", "site", "link_id")
    }

    def silenced() -> bool:
        with urllib.request.urlopen(f"{alertmanager}/api/v2/alerts?filter=case%3D%22oncall-silences%22") as r:
            return any(silence_id in a["status"]["silencedBy"] for a in json.load(r))

    wait_for("the probe alert silenced", silenced)
    listing = operator.get(answer.headers["location"])
    row = re.search(rf'<tr data-silence="{silence_id}">(.*?)</tr>', listing.text, re.S)
    assert row is not None and "truc-ban" in row.group(1) and "carrier works on the link" in row.group(1)
    assert f'action="/silences/{silence_id}/expire"' in row.group(1)
    assert f"Silence {silence_id} created" in listing.text

    # expire it with the page's button
    expired = operator.post(f"/silences/{silence_id}/expire", data={"csrf_token": form_token(listing.text)})
    assert expired.status_code == 303
    assert am_silence(alertmanager, silence_id)["status"]["state"] == "expired"
    assert f'data-silence="{silence_id}"' not in operator.get("/silences").text


def test_expire_through_the_api(operator: TestClient, alertmanager: str) -> None:
    silence_id = create(operator).json()["id"]
    headers = {"X-CSRF-Token": api_token(operator)}
    answer = operator.delete(f"/api/silences/{silence_id}", headers=headers)
    assert answer.status_code == 200 and answer.json() == {"id": silence_id, "state": "expired"}
    assert am_silence(alertmanager, silence_id)["status"]["state"] == "expired"
    again = operator.delete(f"/api/silences/{silence_id}", headers=headers)
    assert again.status_code == 404 and "no active or pending silence" in again.json()["error"]
    assert operator.delete("/api/silences/no-such-silence", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"comment": "   "}, "say why"),
        ({"matchers": []}, "at least one matcher"),
        ({"matchers": [{"name": "alertname", "value": ".*", "isRegex": True}]}, "at least one exact label"),
        ({"matchers": [{"name": "host", "value": "x", "isRegex": False, "isEqual": False}]}, "exact label"),
        ({"matchers": [{"name": "alertname", "value": "", "isRegex": False}]}, "exact label"),
        ({"matchers": [{"name": "bad-name", "value": "x", "isRegex": False}]}, "not a label name"),
        (
            {"matchers": [{"name": "host", "value": "(", "isRegex": True}, {"name": "a", "value": "b"}]},
            "compile",
        ),
        ({"matchers": "alertname=x"}, "must be a list"),
        ({"hours": 0.01}, "between 1 minute and 30 days"),
        ({"hours": 24 * 31}, "between 1 minute and 30 days"),
        ({"hours": "2"}, "hours must be a number"),
        ({"hours": None, "ends_at": "2020-01-01T00:00:00Z"}, "between 1 minute and 30 days"),
        ({"hours": None, "ends_at": "tomorrow"}, "ends_at must be a time"),
        ({"hours": None}, "either hours or ends_at"),
        ({"comment": None}, "comment must be text"),
    ],
)
def test_a_silence_that_says_too_little_or_silences_too_much_is_refused(
    operator: TestClient, alertmanager: str, body: dict[str, Any], error: str
) -> None:
    before = len(am_silences(alertmanager))
    answer = create(operator, **body)
    assert answer.status_code == 400 and error in answer.json()["error"], answer.text
    assert len(am_silences(alertmanager)) == before


def test_ends_at_and_a_non_json_body(operator: TestClient, alertmanager: str) -> None:
    end = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    answer = create(operator, hours=None, ends_at=end.isoformat().replace("+00:00", "Z"))
    assert answer.status_code == 201
    ends = datetime.fromisoformat(
        am_silence(alertmanager, answer.json()["id"])["endsAt"].replace("Z", "+00:00")
    )
    assert abs(ends - end) < timedelta(seconds=1)
    bad = operator.post(
        "/api/silences", content=b"alertname=x", headers={"X-CSRF-Token": api_token(operator)}
    )
    assert bad.status_code == 400 and bad.json() == {"error": "the body is not JSON"}


def test_a_refused_form_keeps_what_was_typed(operator: TestClient, alertmanager: str) -> None:
    page = operator.get("/silences")
    answer = operator.post(
        "/silences",
        data={
            "csrf_token": form_token(page.text),
            "matchers": 'host="cpe-typed-by-hand"',
            "comment": "",
            "duration": "45d",
        },
    )
    assert answer.status_code == 400
    assert "say why in the comment" in answer.text or "between 1 minute and 30 days" in answer.text
    assert "host=&#34;cpe-typed-by-hand&#34;" in answer.text and 'value="45d"' in answer.text
    odd = operator.post(
        "/silences",
        data={
            "csrf_token": form_token(page.text),
            "matchers": "host is cpe-1",
            "comment": "x",
            "duration": "2h",
        },
    )
    assert odd.status_code == 400 and "is not name=" in odd.text
    assert not [s for s in am_silences(alertmanager) if "cpe-typed-by-hand" in json.dumps(s)]


def test_an_unknown_or_malformed_alert_is_a_clear_error(operator: TestClient) -> None:
    missing = operator.get("/silences", params={"alert": "0123456789abcdef"})
    assert missing.status_code == 404 and "0123456789abcdef" in missing.text and "resolved" in missing.text
    assert operator.get("/silences", params={"alert": "<script>"}).status_code == 400
    assert operator.get("/silences", params={"alert": "0123456789abcdef", "part": "live"}).status_code == 200


def test_a_link_to_an_alert_gone_since_still_fills_the_form(operator: TestClient, alertmanager: str) -> None:
    """The Alerts page drew a Silence link; the alert resolved (or flapped, or Alertmanager did not
    answer this once) before the operator clicked it: the form is filled from the link, says so,
    and silences what the link named."""
    drawn = 'alertname="InfraOncallSilenceGone"\nhost="test-silence-cpe-2"\nsite="test-silence-site"'
    page = operator.get("/silences", params={"alert": "0123456789abcdef", "matchers": drawn})
    assert page.status_code == 200, page.text
    assert prefilled(page.text) == drawn
    assert "0123456789abcdef is no longer listed by Alertmanager" in page.text
    answer = submit_as_filled(operator, page.text, f"{MARKER}: flapping link", "30m")
    assert answer.status_code == 303, answer.text
    at_am = am_silence(alertmanager, answer.headers["location"].split("=", 1)[1])
    assert [(m["name"], m["value"]) for m in at_am["matchers"]] == [
        ("alertname", "InfraOncallSilenceGone"),
        ("host", "test-silence-cpe-2"),
        ("site", "test-silence-site"),
    ]


@pytest.mark.parametrize(
    ("matchers", "said"),
    [
        ("host is cpe-1", "is not name="),
        ("\n".join(f'l{n}="x"' for n in range(21)), "between 1 and 20 matchers"),
        ("x" * 20_000, "too long"),
    ],
    ids=["not-a-matcher", "too-many", "too-long"],
)
def test_a_forged_silence_link_is_a_clear_error_and_echoes_nothing_raw(
    operator: TestClient, matchers: str, said: str
) -> None:
    page = operator.get("/silences", params={"alert": "0123456789abcdef", "matchers": matchers + "<script>"})
    assert page.status_code == 400 and said in page.text, page.text[:500]
    assert "<script>" not in page.text
