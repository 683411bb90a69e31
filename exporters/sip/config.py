"""The probe's configuration (written by `infra monitoring render` as sip-probe.yml), strict keys.

    call_controller: srv-vc-1                      # a name, for the logs and /config
    rpc_url: http://10.94.20.16:8088/RPC           # Kamailio jsonrpcs over HTTP (xhttp)
    timeout_s: 5                                   # optional, default 5
    endpoints:                                     # the AORs that must be registered
      - {endpoint: vc-so-noi-vu, aor: "sip:so-noi-vu@vc.lamvien.gov.vn"}

A bad file is refused at load with the file, the key and what is wrong (exit 2 on the CLI);
the probe never imports `infra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

TOP_KEYS = {"call_controller", "rpc_url", "timeout_s", "endpoints"}
ENDPOINT_KEYS = {"endpoint", "aor"}


class ConfigError(Exception):
    """The configuration file is missing or invalid: the message names the file and the key."""


@dataclass(frozen=True)
class Endpoint:
    endpoint: str  # the inventory host name of the codec, e.g. vc-so-noi-vu
    aor: str  # its SIP address of record, sip:user@domain

    @property
    def user(self) -> str:
        return self.aor.split(":", 1)[1].split("@", 1)[0]

    @property
    def user_at_domain(self) -> str:
        return self.aor.split(":", 1)[1]


@dataclass(frozen=True)
class Config:
    call_controller: str
    rpc_url: str
    timeout_s: float
    endpoints: tuple[Endpoint, ...]
    file: str = ""


def _fail(where: str, what: str) -> ConfigError:
    return ConfigError(f"{where}: {what}")


def parse(data: Any, where: str) -> Config:
    if not isinstance(data, dict):
        raise _fail(where, "expected a mapping with call_controller, rpc_url and endpoints")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)} (allowed: {sorted(TOP_KEYS)})")
    for key in ("call_controller", "rpc_url", "endpoints"):
        if key not in data:
            raise _fail(where, f"missing key {key!r}")
    name = data["call_controller"]
    if not isinstance(name, str) or not name:
        raise _fail(where, "call_controller: expected a non-empty name")
    url = data["rpc_url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(where, f"rpc_url: expected http(s)://HOST:PORT/PATH, got {url!r}")
    timeout = data.get("timeout_s", 5)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise _fail(where, f"timeout_s: expected seconds in (0, 60], got {timeout!r}")
    raw = data["endpoints"]
    if not isinstance(raw, list):
        raise _fail(where, "endpoints: expected a list of {endpoint, aor}")
    endpoints: list[Endpoint] = []
    seen: dict[str, str] = {}
    for n, e in enumerate(raw):
        at = f"{where}: endpoints[{n}]"
        if not isinstance(e, dict):
            raise ConfigError(f"{at}: expected a mapping with endpoint and aor")
        if set(e) != ENDPOINT_KEYS:
            raise ConfigError(f"{at}: expected exactly the keys endpoint and aor, got {sorted(e)}")
        endpoint, aor = e["endpoint"], e["aor"]
        if not isinstance(endpoint, str) or not endpoint:
            raise ConfigError(f"{at}: endpoint: expected a host name")
        if not isinstance(aor, str) or not aor.startswith(("sip:", "sips:")) or "@" not in aor:
            raise ConfigError(f"{at} ({endpoint}): aor: expected sip:user@domain, got {aor!r}")
        if aor in seen:
            raise ConfigError(f"{at} ({endpoint}): aor {aor} is also {seen[aor]}'s")
        seen[aor] = endpoint
        endpoints.append(Endpoint(endpoint, aor))
    return Config(name, url, float(timeout), tuple(endpoints))


def load(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}{line}: not valid YAML") from None
    cfg = parse(data, str(p))
    return Config(cfg.call_controller, cfg.rpc_url, cfg.timeout_s, cfg.endpoints, str(p))
