"""Ctrl-C, SIGTERM and a closed terminal during a deploy: stop starting, finish safely.

The first signal sets the run's `stop` event: no device starts after it, and the devices whose
push has begun go on to a safe point (verified and confirmed, or restored). Every further
signal only says what infra is still waiting for ("still restoring 2 devices"): killing a
restore halfway would leave exactly the half-applied device this is here to prevent. The run
then closes its journal entry as `interrupted` and the CLI exits 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_WAITING = {"rollback": "restoring", "push": "pushing to", "verify": "verifying", "confirm": "confirming"}


def waiting_for(unsafe: dict[str, int]) -> str:
    """'still restoring 2 devices, verifying 1' from the count of devices per unsafe step."""
    parts = []
    for step, verb in (*_WAITING.items(), ("save", "saving")):
        n = unsafe.get(step, 0)
        if n:
            parts.append(f"{verb} {n} device{'s' if n != 1 else ''}")
    if not parts:
        return "no device is mid-change: finishing the journal and backups"
    return "still " + ", ".join(parts) + "; infra exits once each is safe"


def _say(text: str) -> None:
    """Write to stderr from a signal handler; a closed terminal (SIGHUP) is not an error."""
    with contextlib.suppress(OSError):
        os.write(2, (text + "\n").encode())


@contextlib.contextmanager
def interruptible(stop: threading.Event, unsafe: Callable[[], dict[str, int]]) -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM/SIGHUP set `stop` instead of killing the process."""

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not stop.is_set():
            stop.set()
            _say(f"infra: {name}: starting no more devices; {waiting_for(unsafe())}")
        else:
            _say(f"infra: {name} again: {waiting_for(unsafe())}")

    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only delivered to the main thread: nothing to install
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, handle)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
