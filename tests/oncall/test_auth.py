"""Who may do what on the board, against the app with the inventory's users and a real Alertmanager:
login with the vault's hashes, signed strict cookies, CSRF on every change, the login rate limit,
roles, reading from outside the management network, and nothing secret in what is served."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from infra.inventory import Inventory
from tests.oncall.conftest import OUTSIDE_CLIENT, board_client
from tests.oncall.sessions import (
    OPERATOR,
    VIEWER,
    am_silences,
    api_token,
    assert_nothing_secret,
    expire_all_of_tests,
    form_token,
    login,
    served,
    session_cookie_text,
)

MARKER = "oncall-auth-test"  # in the comment of every silence these tests try to create
SILENCE = {
    "matchers": [{"name": "alertname", "value": "InfraOncallAuthTest", "isRegex": False}],
    "comment": f"{MARKER}: planned works",
    "hours": 1,
}


@pytest.fixture
def board(example_inventory: Inventory, alertmanager: str, tmp_path: Path) -> TestClient:
    with board_client(example_inventory, alertmanager, alertmanager, tmp_path) as client:
        yield client
    expire_all_of_tests(alertmanager, MARKER)


def another_client(board: TestClient, address: str) -> TestClient:
    """A second browser on the same app (not entered: leaving it would end the app's lifespan)."""
    return TestClient(board.app, client=(address, 50001), follow_redirects=False)


def created_by_tests(alertmanager: str) -> list[dict[str, object]]:
    return [
        s
        for s in am_silences(alertmanager)
        if MARKER in str(s["comment"]) and s["status"]["state"] != "expired"
    ]


def test_login_with_the_vault_password_starts_a_strict_signed_session(board: TestClient) -> None:
    assert board.get("/api/session").json() == {"user": None}
    answer = login(board, *OPERATOR, next_url="/silences?alert=ab12")
    assert answer.status_code == 303 and answer.headers["location"] == "/silences?alert=ab12"
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("oncall_session=") and "httponly" in cookie and "samesite=strict" in cookie
    assert "max-age=43200" in cookie  # oncall.session_hours: 12
    me = board.get("/api/session").json()
    assert (me["user"], me["role"], me["full_name"]) == ("truc-ban", "operator", "Trực ban NOC")
    page = board.get("/silences")
    assert "truc-ban (operator)" in page.text and 'action="/logout"' in page.text


def test_login_refuses_a_form_without_its_csrf_token(board: TestClient) -> None:
    board.get("/login")  # a session with a token exists; the post does not carry it
    answer = board.post("/login", data={"username": OPERATOR[0], "password": OPERATOR[1]})
    assert answer.status_code == 403
    answer = board.post(
        "/login", data={"username": OPERATOR[0], "password": OPERATOR[1], "csrf_token": "x" * 43}
    )
    assert answer.status_code == 403
    assert board.get("/api/session").json() == {"user": None}


def test_a_wrong_password_is_refused_then_rate_limited_even_when_right(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    with board_client(example_inventory, alertmanager, alertmanager, tmp_path) as board:
        for _ in range(5):
            answer = login(board, OPERATOR[0], "Lab-Oncall-Pw-wrong")
            assert answer.status_code == 401 and "Wrong user name or password" in answer.text
        assert login(board, "nobody-at-all", "whatever").status_code == 429  # this address is locked
        locked = login(board, *OPERATOR)  # the right password, while locked
        assert locked.status_code == 429 and "Too many failed logins" in locked.text
        assert 1 <= int(locked.headers["retry-after"]) <= 300
        assert board.get("/api/session").json() == {"user": None}
        # the user name is locked from every address, not only from the one that guessed
        other = another_client(board, "127.0.0.2")
        assert login(other, *OPERATOR).status_code == 429
        assert login(other, *VIEWER).status_code == 303  # another user from another address: fine


def test_a_silence_without_login_is_refused(board: TestClient, alertmanager: str) -> None:
    assert board.post("/api/silences", json=SILENCE).status_code == 401
    assert board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": "x" * 43}).status_code == 401
    form = {"matchers": 'alertname="InfraOncallAuthTest"', "comment": SILENCE["comment"], "duration": "1h"}
    assert board.post("/silences", data=form).status_code == 401
    assert board.delete("/api/silences/0b3c7f4e-0000-4000-8000-000000000000").status_code == 401
    assert "Log in</a> as an operator" in board.get("/silences").text
    assert created_by_tests(alertmanager) == []


@pytest.mark.parametrize("token", [None, "", "wrong-token-" + "x" * 40, "of-another-session"])
def test_a_change_without_the_sessions_csrf_token_is_refused(
    board: TestClient, alertmanager: str, token: str | None
) -> None:
    if token == "of-another-session":
        other = another_client(board, "127.0.0.3")
        assert login(other, *OPERATOR).status_code == 303
        token = api_token(other)
    assert login(board, *OPERATOR).status_code == 303
    headers = {} if token is None else {"X-CSRF-Token": token}
    answer = board.post("/api/silences", json=SILENCE, headers=headers)
    assert answer.status_code == 403 and "CSRF" in answer.json()["error"]
    form = {"matchers": 'alertname="InfraOncallAuthTest"', "comment": SILENCE["comment"], "duration": "1h"}
    assert (
        board.post("/silences", data=form | ({} if token is None else {"csrf_token": token})).status_code
        == 403
    )
    assert (
        board.delete("/api/silences/0b3c7f4e-0000-4000-8000-000000000000", headers=headers).status_code == 403
    )
    assert created_by_tests(alertmanager) == []
    # the same requests with the session's own token pass the check
    assert (
        board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": api_token(board)}).status_code
        == 201
    )


def test_a_viewer_reads_but_cannot_silence_or_expire(board: TestClient, alertmanager: str) -> None:
    assert login(board, *VIEWER).status_code == 303
    token = api_token(board)
    answer = board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": token})
    assert answer.status_code == 403 and "needs an operator" in answer.json()["error"]
    page = board.get("/silences")
    assert page.status_code == 200 and "silencing needs an operator" in page.text
    assert 'action="/silences"' not in page.text  # no form to fill in
    form = {"matchers": 'alertname="InfraOncallAuthTest"', "comment": SILENCE["comment"], "duration": "1h"}
    assert board.post("/silences", data=form | {"csrf_token": form_token(page.text)}).status_code == 403
    assert created_by_tests(alertmanager) == []


def test_reading_from_outside_the_management_network_needs_a_login(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    with board_client(
        example_inventory, alertmanager, alertmanager, tmp_path, client=OUTSIDE_CLIENT
    ) as board:
        page = board.get("/silences", params={"alert": "ab12", "part": "live"})
        assert page.status_code == 303
        assert unquote(page.headers["location"]) == "/login?next=/silences?alert=ab12"  # back to the page
        for path in ("/api/silences", "/api/session", "/api/alerts"):
            assert board.get(path).status_code == 401, path
        assert board.post("/api/silences", json=SILENCE).status_code == 401
        assert board.get("/login").status_code == 200
        assert login(board, *VIEWER).status_code == 303
        assert board.get("/silences").status_code == 200
        assert board.get("/api/silences").status_code == 200
    with board_client(
        example_inventory, alertmanager, alertmanager, tmp_path, client=("10.127.40.7", 50000)
    ) as board:
        assert board.get("/silences").status_code == 200  # the lab's management network reads


def test_logout_needs_the_token_and_ends_the_session(board: TestClient) -> None:
    assert login(board, *OPERATOR).status_code == 303
    assert board.post("/logout", data={}).status_code == 403
    assert board.get("/api/session").json()["user"] == "truc-ban"
    answer = board.post("/logout", data={"csrf_token": api_token(board)})
    assert answer.status_code == 303
    assert board.get("/api/session").json() == {"user": None}


def test_a_cookie_signed_with_another_key_is_no_session(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    with board_client(
        example_inventory, alertmanager, alertmanager, tmp_path, session_key="another-key-" + "k" * 32
    ) as elsewhere:
        assert login(elsewhere, *OPERATOR).status_code == 303
        cookie = elsewhere.cookies["oncall_session"]
    with board_client(example_inventory, alertmanager, alertmanager, tmp_path) as board:
        board.cookies.set("oncall_session", cookie)
        assert board.get("/api/session").json() == {"user": None}
        assert (
            board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": "x" * 43}).status_code == 401
        )


def test_nothing_served_holds_a_secret_or_a_hash(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    texts = []
    with board_client(example_inventory, alertmanager, alertmanager, tmp_path) as board:
        for path in ("/login", "/silences", "/api/silences", "/api/session", "/province", "/alerts"):
            texts.append(served(board.get(path)))
        texts.append(served(login(board, OPERATOR[0], "Lab-Oncall-Pw-wrong")))
        texts.append(served(login(board, *OPERATOR)))
        texts.append(session_cookie_text(board))
        for path in (
            "/silences",
            "/api/silences",
            "/api/session",
            "/province",
            "/alerts",
            "/silences?part=live",
        ):
            texts.append(served(board.get(path)))
        answer = board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": api_token(board)})
        texts += [served(answer), served(board.get("/silences")), session_cookie_text(board)]
        texts.append(served(board.post("/logout", data={"csrf_token": api_token(board)})))
    assert any("truc-ban" in t for t in texts)  # the texts are the real pages, logged in
    assert_nothing_secret(example_inventory, *texts)
    expire_all_of_tests(alertmanager, MARKER)


def test_a_session_ends_after_the_inventorys_session_hours(
    board: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infra.oncall.auth as auth

    assert login(board, *OPERATOR).status_code == 303
    later = auth.time.time() + 12 * 3600 + 60  # oncall.session_hours: 12
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert board.get("/api/session").json() == {"user": None}
    assert board.post("/api/silences", json=SILENCE, headers={"X-CSRF-Token": "x" * 43}).status_code == 401
