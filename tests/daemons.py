"""A real daemon (Prometheus, Alertmanager) on a loopback port for a test: started with a port
from tests/ports.py, retried with a fresh port when something else bound it first, ready once
`/-/ready` answers, stopped on exit."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ports import BIND_RETRIES, free_port, port_in_use


def serve_on_loopback(name: str, argv_for: Callable[[int], list[str]], log: Path) -> Iterator[str]:
    """Run `argv_for(port)`; yield its URL once ready (fail naming NAME with its log's tail)."""
    for attempt in range(1, BIND_RETRIES + 1):
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(argv_for(port), stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None:
            break
        if attempt == BIND_RETRIES or not port_in_use(log.read_text(errors="replace")):
            pytest.fail(f"{name} did not become ready: {log.read_text(errors='replace')[-2000:]}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
