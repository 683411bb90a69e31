"""The stack's processes: spawn each in its own session with a pid file, wait until it answers,
stop exactly the pids we wrote.

OUT/run/<name>.pid, OUT/logs/<name>.log. `stop_processes(OUT)` ends every process whose pid file
is under OUT/run/ and nothing else, so two stacks (or a stack and a test) never stop each other.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


class StackError(Exception):
    """The stack could not start (missing tool, busy port, process died): the message says which."""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StackError(f"{name} is not installed (scripts/setup.sh installs it)")
    return path


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


def listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def spawn(out: Path, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
    """Start ARGV in its own session, output to OUT/logs/NAME.log; writes OUT/run/NAME.pid."""
    logs = out / "logs"
    run = out / "run"
    logs.mkdir(parents=True, exist_ok=True)
    run.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    (run / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def wait_ready(out: Path, name: str, pid: int | None, url: str, timeout: float = 30.0) -> None:
    """Poll URL until it answers 200; fail early (with the log's tail) if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if pid is not None and not alive(pid):
            break
        time.sleep(0.2)
    log = out / "logs" / f"{name}.log"
    tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
    raise StackError(f"{name} did not become ready at {url}: " + " | ".join(tail))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0): look at its state
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def stop_processes(out: Path, timeout: float = 10.0) -> list[str]:
    """Stop every process whose pid file is under OUT/run/ (TERM, then KILL). Returns their names."""
    run = out / "run"
    stopped = []
    for pidfile in sorted(run.glob("*.pid")) if run.is_dir() else []:
        pid = int(pidfile.read_text().strip() or 0)
        if pid > 0 and alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            stopped.append(pidfile.stem)
        pidfile.unlink()
    return stopped
