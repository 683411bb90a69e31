"""A client of baresip's ctrl_tcp module: netstring-framed JSON over TCP.

    request   {"command": "dial", "params": "sip:testroom@vc.example", "token": "3"}
    response  {"response": true, "ok": true, "data": "...", "token": "3"}
    event     {"event": true, "class": "call", "type": "CALL_ESTABLISHED", "id": "...", ...}

baresip 1.0.0 serves one connection at a time (a new one replaces the old), and sends every
event to it. A reader thread takes responses and events off the socket as they come, so call
events are seen while the shell waits for the operator's next command.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class ControlError(RuntimeError):
    """The user agent cannot be reached or did not answer."""


_PRE = re.compile(r"<pre>\n?(.*)</pre>", re.S)


def menu(address: tuple[str, int], command: str, timeout: float = 5.0) -> str:
    """One menu command (`/reginfo`, `/uanew <account>`) over baresip's httpd module: stateless,
    any number of clients at once, unlike ctrl_tcp. The command's text output."""
    url = f"http://{address[0]}:{address[1]}/?{urllib.parse.quote(command, safe='/')}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            page = reply.read().decode("utf-8", "replace")
    except (OSError, ValueError) as e:
        raise ControlError(f"baresip httpd at {address[0]}:{address[1]}: {e}") from None
    m = _PRE.search(page)
    return m[1] if m else page


class Control:
    def __init__(
        self,
        address: tuple[str, int],
        on_event: Callable[[Event], None],
        timeout: float = 5.0,
    ) -> None:
        self.address = address
        self.on_event = on_event
        self.timeout = timeout
        self._tokens = itertools.count(1)
        self._cond = threading.Condition()
        self._responses: dict[str, Event] = {}
        self._closed = False
        try:
            self._sock = socket.create_connection(address, timeout=timeout)
        except OSError as e:
            raise ControlError(f"baresip ctrl_tcp at {address[0]}:{address[1]}: {e.strerror or e}") from None
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="baresip-ctrl", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._closed

    def _read(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while b":" in buf:
                    size, rest = buf.split(b":", 1)
                    n = int(size)
                    if len(rest) < n + 1:
                        break
                    payload, buf = rest[:n], rest[n + 1 :]
                    self._dispatch(json.loads(payload))
        except (OSError, ValueError):
            pass
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _dispatch(self, message: Event) -> None:
        if message.get("event"):
            message["_t"] = time.monotonic()
            with self._cond:
                self.on_event(message)
                self._cond.notify_all()
        elif message.get("response"):
            with self._cond:
                self._responses[str(message.get("token"))] = message
                self._cond.notify_all()

    def command(self, command: str, params: str | None = None, timeout: float | None = None) -> Event:
        """Send one command; its response ({"ok": bool, "data": str})."""
        token = str(next(self._tokens))
        message: dict[str, str] = {"command": command, "token": token}
        if params is not None:
            message["params"] = params
        data = json.dumps(message).encode()
        try:
            self._sock.sendall(b"%d:%s," % (len(data), data))
        except OSError as e:
            raise ControlError(f"baresip ctrl_tcp: {e.strerror or e}") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if self._closed:
                    raise ControlError("baresip closed the ctrl_tcp connection")
                if left <= 0:
                    waited = timeout or self.timeout
                    raise ControlError(f"baresip did not answer `{command}` within {waited:.0f}s")
                self._cond.wait(left)
            return self._responses.pop(token)

    def wait(self, until: Callable[[], bool], timeout: float) -> bool:
        """Wait (events keep arriving) until `until()` holds or the timeout passes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not until():
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return until()
                self._cond.wait(left)
            return True

    @property
    def lock(self) -> threading.Condition:
        """Held while an event is applied: readers of event-fed state take it too."""
        return self._cond

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
