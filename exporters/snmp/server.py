"""HTTP side of a worker: snmp_exporter's endpoints on a small asyncio HTTP/1.1 server.

GET /snmp?target=HOST[:PORT]&module=a,b&auth=NAME, GET /metrics, GET /-/healthy,
POST /-/reload, GET /config (secrets as <secret>), GET /.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import yaml

from . import config as cfgmod
from .auth import Auth
from .client import SnmpError, UdpDispatcher, resolve_host
from .collector import CompiledModule, scrape
from .selfmetrics import SelfMetrics
from .validate import ConfigError

log = logging.getLogger("exporters.snmp.server")

MAX_HEADER = 16384
TEXT = "text/plain; version=0.0.4; charset=utf-8"
LANDING = """<html><head><title>SNMP Exporter</title></head><body><h1>SNMP Exporter</h1>
<form action="snmp"><label>Target:</label> <input type="text" name="target" placeholder="X.X.X.X"><br>
<label>Auth:</label> <input type="text" name="auth" placeholder="public_v2"><br>
<label>Module:</label> <input type="text" name="module" placeholder="if_mib"><br>
<input type="submit" value="Submit"></form>
<p><a href="config">Config</a> &middot; <a href="metrics">Metrics</a></p></body></html>
"""


class BadRequest(Exception):
    pass


class App:
    """State of one worker: config, compiled modules, UDP dispatcher, own metrics."""

    def __init__(
        self,
        config_files: list[str] | None,
        cfg: cfgmod.Config,
        metrics: SelfMetrics,
        timeout_offset: float = 0.5,
        max_scrape_timeout: float = 120.0,
        on_reloaded: Callable[[], None] | None = None,
    ) -> None:
        self.config_files = config_files
        self.metrics = metrics
        self.timeout_offset = timeout_offset
        self.max_scrape_timeout = max_scrape_timeout
        self.on_reloaded = on_reloaded
        self.dispatcher: UdpDispatcher | None = None
        self._synced = (0, 0, 0, 0)
        self.apply(cfg)
        metrics.reload_ok.set(1)
        metrics.reload_time.set(time.time())

    def apply(self, cfg: cfgmod.Config) -> None:
        self.cfg = cfg
        self.compiled = {name: CompiledModule(m) for name, m in cfg.modules.items()}

    def reload(self) -> str:
        """Reload the config files; on error keep the old config. Returns '' or the error."""
        try:
            cfg = cfgmod.load(self.config_files)
        except ConfigError as exc:
            self.metrics.reload_ok.set(0)
            log.error("reload failed, keeping the previous configuration: %s", exc)
            return str(exc)
        self.apply(cfg)
        self.metrics.reload_ok.set(1)
        self.metrics.reload_time.set(time.time())
        log.info("configuration reloaded: %d auths, %d modules", len(cfg.auths), len(cfg.modules))
        return ""

    async def start(self) -> None:
        self.dispatcher = await UdpDispatcher.create()
        self.dispatcher.on_malformed = lambda _why: self.metrics.malformed.inc()

    def sync_client_stats(self) -> None:
        assert self.dispatcher is not None
        s = self.dispatcher.stats
        now = (s.unmatched, s.retries, s.auth_failures, 0)
        prev = self._synced
        for counter, d in zip(
            (self.metrics.unmatched, self.metrics.retries, self.metrics.auth_failures),
            (now[0] - prev[0], now[1] - prev[1], now[2] - prev[2]),
            strict=True,
        ):
            if d:
                counter.inc(d)
        self._synced = now

    # ------------------------------------------------------------- handlers

    def parse_snmp_query(self, query: str) -> tuple[str, int, Auth, list[CompiledModule]]:
        q = parse_qs(query, keep_blank_values=True)
        targets = q.get("target", [])
        if len(targets) != 1 or not targets[0].strip():
            raise BadRequest("'target' parameter must be specified once")
        host, port = split_target(targets[0].strip())
        names = [n.strip() for v in q.get("module", ["if_mib"]) for n in v.split(",") if n.strip()]
        if not names:
            raise BadRequest("'module' parameter must not be empty")
        modules = []
        for n in dict.fromkeys(names):
            cm = self.compiled.get(n)
            if cm is None:
                raise BadRequest(f"Unknown module '{n}'")
            modules.append(cm)
        auths = q.get("auth", ["public_v2"])
        if len(auths) != 1:
            raise BadRequest("'auth' parameter must only be specified once")
        auth = self.cfg.auths.get(auths[0])
        if auth is None:
            raise BadRequest(f"Unknown auth '{auths[0]}'")
        return host, port, auth, modules

    def refusal(self, host: str, address: str, auth: str) -> str:
        """'' if AUTH may be sent to ADDRESS (HOST resolved), else the 403 body (never a secret)."""
        allowed = self.cfg.allowed_targets.get(auth)
        if allowed is None:
            return (
                f"Forbidden: auth '{auth}' has no allowed_targets in the configuration, so it is "
                f"refused for every target (asked: {host})\n"
            )
        if allowed.allows(address):
            return ""
        shown = host if host == address else f"{host} ({address})"
        return f"Forbidden: target {shown} is not in the allowed_targets of auth '{auth}'\n"

    async def handle_snmp(self, query: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        try:
            host, port, auth, modules = self.parse_snmp_query(query)
        except BadRequest as exc:
            self.metrics.request_errors.inc()
            return 400, "text/plain; charset=utf-8", (str(exc) + "\n").encode()
        timeout = self.max_scrape_timeout
        header = headers.get("x-prometheus-scrape-timeout-seconds")
        if header:
            try:
                timeout = min(timeout, max(0.1, float(header) - self.timeout_offset))
            except ValueError:
                self.metrics.request_errors.inc()
                return 400, "text/plain; charset=utf-8", b"Failed to parse timeout from Prometheus header\n"
        resolved: str | SnmpError
        try:
            resolved = await resolve_host(host)
        except SnmpError as exc:
            resolved = exc  # reported as the modules' scrape error; nothing is sent
        else:
            refused = self.refusal(host, resolved, auth.name)
            if refused:
                self.metrics.refused.labels(auth.name).inc()
                log.warning("refused a scrape of target %r with auth %r (allowed_targets)", host, auth.name)
                return 403, "text/plain; charset=utf-8", refused.encode()
        assert self.dispatcher is not None
        self.metrics.in_flight.inc()
        try:
            text, results = await scrape(
                self.dispatcher, host, resolved, port, auth, modules, time.monotonic() + timeout
            )
        finally:
            self.metrics.in_flight.dec()
        for r in results:
            self.metrics.collection_duration.labels(r.module).observe(r.total_seconds)
            self.metrics.scrapes.labels(r.module, "error" if r.error else "success").inc()
        self.sync_client_stats()
        return 200, TEXT, text.encode()

    async def dispatch(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        url = urlsplit(target)
        path = url.path
        if path == "/snmp":
            if method not in ("GET", "HEAD"):
                return 405, "text/plain", b"Method Not Allowed\n"
            return await self.handle_snmp(url.query, headers)
        if path == "/metrics":
            return 200, TEXT, self.metrics.render()
        if path == "/-/healthy":
            return 200, "text/plain", b"Healthy\n"
        if path == "/-/reload":
            if method != "POST":
                return 405, "text/plain", b"This endpoint requires a POST request.\n"
            err = self.reload()
            if err:
                return 500, "text/plain; charset=utf-8", f"failed to reload config: {err}\n".encode()
            if self.on_reloaded:
                self.on_reloaded()
            return 200, "text/plain", b"Config reloaded\n"
        if path == "/config":
            body = yaml.safe_dump(self.cfg.redacted(), sort_keys=False, allow_unicode=True)
            return 200, "text/plain; charset=utf-8", body.encode()
        if path == "/":
            return 200, "text/html; charset=utf-8", LANDING.encode()
        return 404, "text/plain", b"404 page not found\n"

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                try:
                    lines = head.decode("latin-1").split("\r\n")
                    method, target, version = lines[0].split(" ", 2)
                    headers = {}
                    for line in lines[1:]:
                        if ":" in line:
                            k, v = line.split(":", 1)
                            headers[k.strip().lower()] = v.strip()
                    length = int(headers.get("content-length", "0") or 0)
                except ValueError:
                    await self.respond(writer, 400, "text/plain", b"bad request\n", False, False)
                    return
                if length:
                    await reader.readexactly(length)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                try:
                    status, ctype, body = await self.dispatch(method, target, headers)
                except Exception:  # never let one request take the worker down
                    log.exception("error serving %s", target)
                    status, ctype, body = 500, "text/plain", b"internal error\n"
                gz = "gzip" in headers.get("accept-encoding", "") and len(body) > 1024
                await self.respond(writer, status, ctype, body, keep, gz, head_only=method == "HEAD")
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    @staticmethod
    async def respond(
        writer: asyncio.StreamWriter,
        status: int,
        ctype: str,
        body: bytes,
        keep: bool,
        gz: bool,
        head_only: bool = False,
    ) -> None:
        reason = {
            200: "OK",
            400: "Bad Request",
            403: "Forbidden",
            404: "Not Found",
            405: "Method Not Allowed",
        }
        reason[500] = "Error"
        extra = ""
        if gz:
            body = gzip.compress(body, compresslevel=1)
            extra = "Content-Encoding: gzip\r\n"
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'Status')}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
        )
        writer.write(head.encode() + (b"" if head_only else body))
        await writer.drain()


def split_target(target: str) -> tuple[str, int]:
    """HOST, HOST:PORT, [v6]:PORT, or udp://HOST:PORT -> (host, port)."""
    t = target.removeprefix("udp://")
    port = 161
    if t.startswith("["):
        host, _, rest = t[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], target)
    elif t.count(":") == 1:
        host, p = t.split(":")
        port = _port(p, target)
    else:
        host = t
    if not host:
        raise BadRequest(f"bad target {target!r}")
    return host, port


def _port(text: str, target: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BadRequest(f"bad port in target {target!r}")
    return int(text)


def listen_socket(address: str, reuse_port: bool) -> socket.socket:
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, int(port)))
    sock.listen(1024)
    sock.setblocking(False)
    return sock
