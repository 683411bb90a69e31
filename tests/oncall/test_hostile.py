"""A hostile HTTP client against the board: oversized bodies (declared or streamed), odd paths and
parameters, methods the board does not serve. Each gets a clear 4xx and never a traceback or 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from infra.inventory import Inventory
from infra.oncall.app import MAX_BODY
from tests.oncall.conftest import board_client
from tests.ports import free_port


@pytest.fixture
def board(example_inventory: Inventory, alertmanager: str, tmp_path: Path) -> Iterator[TestClient]:
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(example_inventory, dead, alertmanager, tmp_path) as client:
        yield client


def test_a_body_over_the_limit_is_refused_before_it_is_read(board: TestClient) -> None:
    big = b"x" * (MAX_BODY + 1)
    for path in ("/api/silences", "/login", "/silences", "/logout"):
        answer = board.post(path, content=big, headers={"Content-Type": "application/json"})
        assert answer.status_code == 413, path
        assert answer.json() == {"error": f"request body over {MAX_BODY} bytes"}
    answer = board.post("/login", content=b"1", headers={"Content-Length": "12x"})
    assert answer.status_code == 413  # a Content-Length that is not a number is not trusted


def test_a_streamed_body_over_the_limit_is_refused(board: TestClient) -> None:
    chunks = iter([b"username=" + b"a" * 40_000, b"b" * 40_000])  # chunked: no Content-Length
    answer = board.post(
        "/login", content=chunks, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/device/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/device/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/runbooks/..%2f..%2fREADME",
        "/runbooks/%00",
        "/static/..%2f..%2fsettings.py",
        "/api/device/%00",
    ],
)
def test_odd_paths_are_404_and_echo_nothing_raw(board: TestClient, path: str) -> None:
    answer = board.get(path)
    assert answer.status_code == 404, answer.text[:300]
    assert "<script>alert(1)" not in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/alerts?site=%00", 400),
        ("/alerts?site=" + "a" * 8000, 400),
        ("/alerts?host=%3Cb%3E", 400),
        ("/device/wan-hub-1?range=forever", 400),
        ("/api/device/wan-hub-1?range=-1h", 400),
        ("/province?part=live&part=everything", 200),
        ("/province?" + "x=1&" * 2000, 200),
    ],
)
def test_odd_parameters_are_clear_answers(board: TestClient, path: str, status: int) -> None:
    answer = board.get(path)
    assert answer.status_code == status, answer.text[:300]
    assert "Traceback" not in answer.text and "<b>" not in answer.text


def test_methods_the_board_does_not_serve(board: TestClient) -> None:
    assert board.put("/api/silences", json={}).status_code == 405
    assert board.delete("/province").status_code == 405
    assert board.post("/province").status_code == 405
