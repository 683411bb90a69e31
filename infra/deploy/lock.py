"""Per-device locks: a second concurrent deploy to the same device is refused, clearly.

An exclusive, non-blocking `flock` on `<state>/locks/<host>.lock`; the file records who holds it
so the refusal can say so. The kernel drops the lock when the holder dies: no stale locks.
"""

from __future__ import annotations

import fcntl
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class DeviceBusy(RuntimeError):
    pass


@contextmanager
def device_lock(locks_dir: Path, host: str, purpose: str = "deploy") -> Iterator[None]:
    locks_dir.mkdir(parents=True, exist_ok=True)
    path = locks_dir / f"{host}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text(encoding="utf-8", errors="replace").strip() or "another process"
            raise DeviceBusy(
                f"{host} is locked by another run ({holder}); wait for it to finish or check {path}"
            ) from None
        os.ftruncate(fd, 0)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, f"{purpose} by {getpass.getuser()}, pid {os.getpid()}, since {stamp}".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
