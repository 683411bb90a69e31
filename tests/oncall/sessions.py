"""Logging in to the board in tests, and proving nothing secret comes back."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from typing import Any

import httpx
from starlette.testclient import TestClient

from infra.inventory import Inventory
from tests.conftest import LAB_SECRETS, ONCALL_PASSWORDS

OPERATOR = ("truc-ban", ONCALL_PASSWORDS[0])
VIEWER = ("xem", ONCALL_PASSWORDS[1])
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def form_token(page: str) -> str:
    found = _CSRF_FIELD.search(page)
    assert found and found.group(1), "the page has no CSRF field"
    return found.group(1)


def login(client: TestClient, username: str, password: str, next_url: str = "/silences") -> httpx.Response:
    form = client.get("/login", params={"next": next_url})
    assert form.status_code == 200
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": form_token(form.text),
            "next": next_url,
        },
    )


def api_token(client: TestClient) -> str:
    token = client.get("/api/session").json()["csrf_token"]
    assert isinstance(token, str) and len(token) >= 32
    return str(token)


def session_cookie_text(client: TestClient) -> str:
    """The session cookie as it travels, plus its payload decoded (Starlette's cookie is signed,
    not encrypted: whatever the session holds, anyone holding the cookie can read)."""
    raw = client.cookies.get("oncall_session") or ""
    payload = raw.split(".", 1)[0]
    decoded = (
        base64.b64decode(payload + "=" * (-len(payload) % 4)).decode(errors="replace") if payload else ""
    )
    return raw + "\n" + decoded


def hashes(inv: Inventory) -> list[str]:
    assert inv.oncall is not None
    return [inv.secret(u.password_hash).reveal() for u in inv.oncall.users]


def assert_nothing_secret(inv: Inventory, *texts: str) -> None:
    """No lab secret, no password hash (whole, or its salt and digest) in TEXTS."""
    parts = [p for h in hashes(inv) for p in h.split("$")[-2:]]
    for text in texts:
        for secret in LAB_SECRETS:
            assert secret not in text, "a lab secret is in what the board served"
        assert "$argon2" not in text, "a password hash is in what the board served"
        for part in parts:
            assert part not in text, "a piece of a password hash is in what the board served"


def served(response: httpx.Response) -> str:
    """Everything a response carries: status line, headers (cookies included) and body."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
    return f"{response.status_code}\n{headers}\n\n{response.text}"


def am_silences(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/silences", timeout=5) as answer:
        found: list[dict[str, Any]] = json.load(answer)
    return found


def am_silence(url: str, silence_id: str) -> dict[str, Any]:
    return next(s for s in am_silences(url) if s["id"] == silence_id)


def expire_all_of_tests(url: str, marker: str) -> None:
    """Expire, straight at Alertmanager, every silence whose comment carries MARKER."""
    for s in am_silences(url):
        if marker in s.get("comment", "") and s["status"]["state"] != "expired":
            req = urllib.request.Request(f"{url}/api/v2/silence/{s['id']}", method="DELETE")
            urllib.request.urlopen(req, timeout=5).close()
