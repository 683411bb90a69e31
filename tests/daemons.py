"""A real daemon (Prometheus, Alertmanager) on a loopback port for a test: started with a port
from tests/ports.py, retried with a fresh port when something else bound it first, ready once
`/-/ready` answers, stopped on exit. And what such a daemon scrapes: metrics a test serves."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


def serve_metrics(exposition: Callable[[], str | None]) -> ThreadingHTTPServer:
    """An HTTP server on a loopback port (its own: no race) answering every GET with
    `exposition()` in Prometheus's text format, or 503 while that is None; serving from a thread.
    Its address: `server.server_address`; stop it with `shutdown()`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            text = exposition()
            if text is None:
                self.send_response(503)
                self.end_headers()
                return
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
