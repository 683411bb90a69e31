"""One `up` or `down` at a time: an exclusive flock on /run/infra-lab.lock (`exclusive`, which
also serialises a lab codec's read-modify-writes of its state directory)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.lab.paths import LOCK_FILE, TEST_LOCK_FILE
from infra.lab.sh import LabError


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab builds network namespaces: run it as root")


@contextmanager
def exclusive(path: Path = LOCK_FILE) -> Iterator[None]:
    """Hold an exclusive flock on PATH (created 0600 if missing) for the block; waits for it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def in_use_by_tests(path: Path = TEST_LOCK_FILE) -> bool:
    """True while a pytest session holds the lab (its fixtures hold this lock)."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
