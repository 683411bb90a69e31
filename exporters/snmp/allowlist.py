"""Which targets each auth may be sent to: the exporter is not an open SNMP proxy.

Configuration (top level, merged over every config file, keyed by auth name):

    allowed_targets:
      infra_v3:
        cidrs: [10.10.0.0/16, 192.0.2.7, "2001:db8::/64"]   # addresses or networks
        files: [snmp-targets.json]                             # relative to the config file

A file is YAML or JSON: a list of addresses/networks (`HOST:PORT` and `[V6]:PORT` allowed, the
port is ignored), or Prometheus file_sd target groups (`[{targets: [...], labels: {...}}]`) of
which only the groups whose `__param_auth` label is absent or names this auth count, so the
target files Prometheus scrapes can serve as the allowlist too.

An auth without an entry may be used for no target at all (refused with HTTP 403): the
default is to refuse. The check runs on the resolved address, before any packet is sent, and
is cached per address: one dict lookup per scrape on the hot path.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
CACHE_LIMIT = 65536  # distinct addresses remembered per auth before the cache starts over


class AllowlistError(ValueError):
    """An entry of allowed_targets that is not an address or network (message names where)."""


def parse_network(text: str, where: str) -> Network:
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise AllowlistError(f"{where}: {text!r} is not an IP address or network ({exc})") from None


def _strip_port(target: str) -> str:
    """HOST, HOST:PORT, [V6]:PORT, udp://... -> the address part (as split_target reads targets)."""
    t = target.strip().removeprefix("udp://")
    if t.startswith("["):
        return t[1:].partition("]")[0]
    if t.count(":") == 1 and "/" not in t:
        return t.split(":")[0]
    return t


def read_file(path: Path, auth: str, where: str) -> list[Network]:
    """The networks a targets file allows for AUTH (see the module docstring for the format)."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise AllowlistError(f"{where}: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise AllowlistError(f"{where}: {path}: invalid YAML/JSON: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise AllowlistError(f"{where}: {path}: expected a list of targets or of target groups")
    out: list[Network] = []
    for i, entry in enumerate(data):
        at = f"{where}: {path}[{i}]"
        if isinstance(entry, str):
            out.append(parse_network(_strip_port(entry), at))
        elif isinstance(entry, dict) and isinstance(entry.get("targets"), list):
            labels = entry.get("labels") or {}
            if not isinstance(labels, dict):
                raise AllowlistError(f"{at}.labels: expected a mapping")
            if labels.get("__param_auth", auth) != auth:
                continue
            for j, target in enumerate(entry["targets"]):
                out.append(parse_network(_strip_port(str(target)), f"{at}.targets[{j}]"))
        else:
            raise AllowlistError(f"{at}: expected an address, a network or a target group with targets")
    return out


@dataclass
class AllowedTargets:
    """One auth's allowlist, compiled: exact addresses in a set, wider networks in a list."""

    auth: str
    networks: list[Network] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # cidrs and file names, for /config
    _hosts: set[str] = field(default_factory=set)
    _wide: list[Network] = field(default_factory=list)
    _cache: dict[str, bool] = field(default_factory=dict)

    def add(self, networks: list[Network], source: str) -> None:
        self.networks.extend(networks)
        self.sources.append(source)
        for net in networks:
            if net.num_addresses == 1:
                self._hosts.add(str(net.network_address))
            else:
                self._wide.append(net)
        self._cache.clear()

    def allows(self, address: str) -> bool:
        """Whether ADDRESS (a resolved IPv4/IPv6 address) is in the allowlist."""
        hit = self._cache.get(address)
        if hit is None:
            hit = self._check(address)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[address] = hit
        return hit

    def _check(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.partition("%")[0])
        except ValueError:
            return False  # not a canonical address: never send to it
        return str(ip) in self._hosts or any(ip in net for net in self._wide)

    def summary(self) -> str:
        return f"{len(self._hosts)} addresses, {len(self._wide)} networks"


def parse_section(raw: Any, file: str, into: dict[str, AllowedTargets]) -> None:
    """The `allowed_targets` section of FILE, merged into INTO (one entry per auth)."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise AllowlistError(f"{file}: allowed_targets: expected a mapping of auth name -> cidrs/files")
    base = Path(file).parent
    for auth, spec in raw.items():
        at = f"{file}: allowed_targets.{auth}"
        if not isinstance(spec, dict):
            raise AllowlistError(f"{at}: expected a mapping with cidrs and/or files")
        unknown = sorted(set(spec) - {"cidrs", "files"})
        if unknown:
            raise AllowlistError(f"{at}.{unknown[0]}: unknown key (allowed: cidrs, files)")
        if not spec.get("cidrs") and not spec.get("files"):
            raise AllowlistError(
                f"{at}: needs cidrs or files (an auth with no entry is refused for every target)"
            )
        entry = into.setdefault(str(auth), AllowedTargets(str(auth)))
        cidrs = spec.get("cidrs") or []
        if not isinstance(cidrs, list):
            raise AllowlistError(f"{at}.cidrs: expected a list of addresses or networks")
        nets = [parse_network(str(c), f"{at}.cidrs[{i}]") for i, c in enumerate(cidrs)]
        if nets:
            entry.add(nets, ", ".join(str(n) for n in nets))
        files = spec.get("files") or []
        if not isinstance(files, list):
            raise AllowlistError(f"{at}.files: expected a list of file paths")
        for i, name in enumerate(files):
            path = base / str(name)
            entry.add(read_file(path, str(auth), f"{at}.files[{i}]"), str(path))
