"""infra-sip-probe: command line and HTTP endpoints.

    GET  /probe       ask the call controller (ul.dump) now: registrations + probe success
    GET  /metrics     the probe's own metrics (probes by result, process)
    GET  /-/healthy   200
    POST /-/reload    re-read the configuration (also on SIGHUP); a bad file keeps the old one
    GET  /config      the configuration in use

Prometheus scrapes /probe (job `vc_registration`) and /metrics (job `exporters`).
Exit codes: 0 ok, 2 bad configuration or arguments.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

import yaml
from prometheus_client import CollectorRegistry, Counter, ProcessCollector, generate_latest

from .collector import RegistrationCollector
from .config import Config, ConfigError, load

log = logging.getLogger("exporters.sip")
TEXT = "text/plain; version=0.0.4; charset=utf-8"


class Probe:
    """The configuration in use and the probe's own metrics, shared by the request threads."""

    def __init__(self, path: str, cfg: Config) -> None:
        self.path = path
        self.cfg = cfg
        self.lock = threading.Lock()
        self.own = CollectorRegistry()
        ProcessCollector(registry=self.own)
        self.probes = Counter(
            "infra_sip_probe_probes", "Probes of the call controller by result", ["result"], registry=self.own
        )
        self.reloads = Counter(
            "infra_sip_probe_config_reloads", "Configuration reloads by result", ["result"], registry=self.own
        )
        for r in ("success", "failure"):
            self.probes.labels(r)
            self.reloads.labels(r)

    def reload(self) -> str | None:
        """Re-read the file; returns the error (and keeps the old configuration) when it is bad."""
        try:
            cfg = load(self.path)
        except ConfigError as exc:
            self.reloads.labels("failure").inc()
            log.error("reload refused, keeping the previous configuration: %s", exc)
            return str(exc)
        with self.lock:
            self.cfg = cfg
        self.reloads.labels("success").inc()
        log.info("configuration reloaded: %d endpoints", len(cfg.endpoints))
        return None

    def probe(self) -> bytes:
        with self.lock:
            cfg = self.cfg
        registry = CollectorRegistry()  # fresh per scrape: nothing carries over
        registry.register(
            RegistrationCollector(
                cfg, on_result=lambda ok: self.probes.labels("success" if ok else "failure").inc()
            )
        )
        return generate_latest(registry)


def handler(probe: Probe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/probe":
                self._reply(200, probe.probe(), TEXT)
            elif path == "/metrics":
                self._reply(200, generate_latest(probe.own), TEXT)
            elif path == "/-/healthy":
                self._reply(200, b"Healthy\n")
            elif path == "/config":
                cfg = probe.cfg
                doc = {
                    "call_controller": cfg.call_controller,
                    "rpc_url": cfg.rpc_url,
                    "timeout_s": cfg.timeout_s,
                    "endpoints": [{"endpoint": e.endpoint, "aor": e.aor} for e in cfg.endpoints],
                }
                self._reply(200, yaml.safe_dump(doc, sort_keys=False).encode())
            elif path == "/":
                self._reply(200, b"infra-sip-probe: /probe /metrics /config /-/healthy\n")
            else:
                self._reply(404, b"not found: try /probe or /metrics\n")

        def do_POST(self) -> None:
            if self.path != "/-/reload":
                self._reply(404, b"not found\n")
                return
            error = probe.reload()
            self._reply(500 if error else 200, (error or "reloaded").encode() + b"\n")

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return Handler


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="infra-sip-probe",
        description="Per-endpoint SIP registration state from Kamailio's ul.dump, for Prometheus.",
    )
    p.add_argument("--config.file", dest="config_file", required=True, metavar="PATH")
    p.add_argument("--web.listen-address", dest="listen", default=":9117", help="HOST:PORT (:9117)")
    p.add_argument("--dry-run", action="store_true", help="only check the configuration and exit")
    p.add_argument(
        "--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"]
    )
    return p.parse_args(argv)


def _address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--web.listen-address {listen!r}: write HOST:PORT or :PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level={"warn": "WARNING"}.get(args.log_level, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        cfg = load(args.config_file)
        address = _address(args.listen)
    except (ConfigError, ValueError) as exc:
        print(f"infra-sip-probe: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(
            f"configuration OK: {cfg.file}: call controller {cfg.call_controller} at {cfg.rpc_url}, "
            f"{len(cfg.endpoints)} endpoints"
        )
        return 0
    probe = Probe(args.config_file, cfg)
    try:
        server = ThreadingHTTPServer(address, handler(probe))
    except OSError as exc:
        print(f"infra-sip-probe: cannot listen on {args.listen}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    def on_hup(_sig: int, _frame: FrameType | None) -> None:
        threading.Thread(target=probe.reload, daemon=True).start()

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_term)
    log.info("listening on %s:%d, call controller %s", *address, cfg.call_controller)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
