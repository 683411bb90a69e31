"""infra-snmp-exporter: command line, worker processes, signals.

Several worker processes (default: one per core) each run the whole exporter on
their own SO_REUSEPORT listener, so the kernel spreads scrapes over both cores.
The parent only supervises: it restarts a worker that dies and forwards SIGHUP.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

from . import config as cfgmod
from .validate import ConfigError

log = logging.getLogger("exporters.snmp")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="infra-snmp-exporter",
        description="SNMP exporter for Prometheus, compatible with prometheus/snmp_exporter's HTTP contract.",
    )
    p.add_argument(
        "--config.file",
        dest="config_files",
        action="append",
        metavar="PATH",
        help="configuration file (repeatable; files are merged). Default: the bundled configuration.",
    )
    p.add_argument(
        "--web.listen-address", dest="listen", default=":9116", help="address to listen on (:9116)"
    )
    p.add_argument("--dry-run", action="store_true", help="only check the configuration and exit")
    p.add_argument(
        "--web.workers",
        dest="workers",
        type=int,
        default=0,
        help="worker processes (default: number of CPUs; 1 = no child processes)",
    )
    p.add_argument(
        "--scrape.timeout-offset",
        dest="timeout_offset",
        type=float,
        default=0.5,
        help="seconds subtracted from X-Prometheus-Scrape-Timeout-Seconds (0.5)",
    )
    p.add_argument(
        "--scrape.max-timeout",
        dest="max_timeout",
        type=float,
        default=120.0,
        help="upper bound of one scrape in seconds when Prometheus sends no timeout (120)",
    )
    p.add_argument(
        "--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"]
    )
    return p.parse_args(argv)


def describe(cfg: cfgmod.Config) -> str:
    lines = [f"configuration OK: {', '.join(cfg.files)}", f"auths ({len(cfg.auths)}):"]
    for name, a in cfg.auths.items():
        detail = ", ".join(f"{k}={v}" for k, v in a.redacted().items())
        allowed = cfg.allowed_targets.get(name)
        targets = allowed.summary() if allowed else "none: refused for every target"
        lines.append(f"  {name}: {detail}; allowed targets: {targets}")
    lines.append(f"modules ({len(cfg.modules)}):")
    for name, m in cfg.modules.items():
        lines.append(f"  {name}: {len(m.metrics)} metrics, walk {len(m.walk)}, get {len(m.get)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    level = {"warn": logging.WARNING}.get(
        args.log_level, getattr(logging, args.log_level.upper(), logging.INFO)
    )
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="ts=%(asctime)s level=%(levelname)s caller=%(name)s msg=%(message)s",
    )
    try:
        cfg = cfgmod.load(args.config_files)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(describe(cfg))
        return 0
    workers = args.workers or os.cpu_count() or 1
    try:
        if workers <= 1:
            sock = _listen(args.listen, reuse_port=False)
            return run_worker(args, cfg, sock, None, parent=None)
        return supervise(args, cfg, workers)
    except OSError as exc:
        print(f"error: cannot listen on {args.listen}: {exc.strerror}", file=sys.stderr)
        return 2


def _listen(address: str, reuse_port: bool) -> socket.socket:
    from .server import listen_socket

    return listen_socket(address, reuse_port)


def run_worker(
    args: argparse.Namespace, cfg: cfgmod.Config, sock: socket.socket, mp_dir: str | None, parent: int | None
) -> int:
    """One worker: an event loop with the HTTP server and the SNMP client."""
    from .selfmetrics import SelfMetrics
    from .server import App

    metrics = SelfMetrics(mp_dir)
    on_reloaded = (lambda: os.kill(parent, signal.SIGHUP)) if parent else None
    app = App(args.config_files, cfg, metrics, args.timeout_offset, args.max_timeout, on_reloaded)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, app.reload)
        await app.start()
        server = await asyncio.start_server(app.serve_connection, sock=sock, limit=65536)
        if parent is None:
            log.info("listening on %s", args.listen)
        async with server:
            await stop.wait()

    asyncio.run(serve())
    return 0


def supervise(args: argparse.Namespace, cfg: cfgmod.Config, workers: int) -> int:
    mp_dir = tempfile.mkdtemp(prefix="infra-snmp-exporter-")
    socks = [_listen(args.listen, reuse_port=True) for _ in range(workers)]
    children: dict[int, int] = {}  # pid -> worker number
    flags = {"stop": False, "hup": False}

    def spawn(n: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(s, signal.SIG_DFL)
                for i, other in enumerate(socks):
                    if i != n:
                        other.close()
                code = run_worker(args, cfg, socks[n], mp_dir, parent=os.getppid())
            except BaseException:
                log.exception("worker %d crashed", n)
            finally:
                os._exit(code)
        children[pid] = n

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP:
            flags["hup"] = True
        else:
            flags["stop"] = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        for n in range(workers):
            spawn(n)
        log.info("listening on %s with %d worker processes", args.listen, workers)
        while not flags["stop"]:
            if flags["hup"]:
                flags["hup"] = False
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGHUP)
            with contextlib.suppress(ChildProcessError):
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid and pid in children:
                    n = children.pop(pid)
                    _mark_dead(pid, mp_dir)
                    if not flags["stop"]:
                        log.error("worker %d (pid %d) exited with status %d; restarting", n, pid, status)
                        spawn(n)
            time.sleep(0.05)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while children and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid:
                    children.pop(pid, None)
                    continue
            time.sleep(0.02)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        for sock in socks:
            sock.close()
        for signum, handler in old.items():
            signal.signal(signum, handler)
        shutil.rmtree(mp_dir, ignore_errors=True)
    return 0


def _mark_dead(pid: int, mp_dir: str) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, mp_dir)  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())
