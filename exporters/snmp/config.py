"""Exporter configuration: YAML with `auths` separate from `modules`, validated strictly at load.

The format is snmp_exporter's (v0.23+) `snmp.yml`, so its generated modules load as they are.
Errors name the file and the key (`snmp.yml: modules.if_mib.metrics[3].type: ...`).
SNMPv3 secrets can come from the environment as `${VAR}`; secrets print as `<secret>`.
`allowed_targets` (allowlist.py) names the targets each auth may be sent to; default: none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import ber, usm
from .allowlist import AllowedTargets, AllowlistError, parse_section

BUNDLED_DIR = Path(__file__).with_name("modules")

METRIC_TYPES = frozenset(
    {
        "gauge",
        "counter",
        "Float",
        "Double",
        "DateAndTime",
        "EnumAsInfo",
        "EnumAsStateSet",
        "Bits",
        "OctetString",
        "DisplayString",
        "PhysAddress48",
        "IpAddr",
        "InetAddressIPv4",
        "InetAddressIPv6",
        "ObjectIdentifier",
    }
)
INDEX_TYPES = frozenset(
    {"gauge", "counter", "Integer32", "Integer", "PhysAddress48", "OctetString", "DisplayString"}
    | {"InetAddressIPv4", "IpAddr", "InetAddressIPv6", "EnumAsInfo"}
)
STRING_TYPES = frozenset(
    {"OctetString", "DisplayString", "PhysAddress48", "IpAddr", "InetAddressIPv4", "InetAddressIPv6"}
    | {"ObjectIdentifier"}
)
SECURITY_LEVELS = ("noAuthNoPriv", "authNoPriv", "authPriv")
NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class ConfigError(Exception):
    """A configuration problem, with file and key."""


class Secret(str):
    """A string that never prints itself."""

    def __repr__(self) -> str:
        return "'<secret>'"

    def __str__(self) -> str:
        return "<secret>"

    def reveal(self) -> str:
        return str.__str__(self)


PUBLIC = Secret("public")
EMPTY = Secret("")


@dataclass(frozen=True)
class Auth:
    name: str
    version: int = 2
    community: Secret = PUBLIC
    security_level: str = "noAuthNoPriv"
    username: str = ""
    password: Secret = EMPTY
    auth_protocol: str = "MD5"
    priv_protocol: str = "DES"
    priv_password: Secret = EMPTY
    context_name: str = ""

    def usm_user(self) -> usm.UsmUser | None:
        if self.version != 3:
            return None
        auth = self.security_level != "noAuthNoPriv"
        priv = self.security_level == "authPriv"
        return usm.UsmUser(
            username=self.username.encode(),
            auth_protocol=self.auth_protocol if auth else None,
            auth_password=self.password.reveal().encode(),
            priv_protocol=self.priv_protocol if priv else None,
            priv_password=self.priv_password.reveal().encode(),
            context_name=self.context_name.encode(),
        )

    def redacted(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version}
        if self.version < 3:
            out["community"] = "<secret>"
        else:
            out |= {"security_level": self.security_level, "username": self.username}
            if self.security_level != "noAuthNoPriv":
                out |= {"password": "<secret>", "auth_protocol": self.auth_protocol}
            if self.security_level == "authPriv":
                out |= {"priv_password": "<secret>", "priv_protocol": self.priv_protocol}
            if self.context_name:
                out["context_name"] = self.context_name
        return out


@dataclass(frozen=True)
class Index:
    labelname: str
    type: str
    fixed_size: int = 0
    implied: bool = False
    enum_values: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lookup:
    labels: tuple[str, ...]
    labelname: str
    oid: str = ""
    type: str = "DisplayString"


@dataclass(frozen=True)
class Metric:
    name: str
    oid: str
    type: str
    help: str = ""
    indexes: tuple[Index, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    enum_values: dict[int, str] = field(default_factory=dict)
    scale: float = 0.0
    offset: float = 0.0


@dataclass(frozen=True)
class Module:
    name: str
    walk: tuple[str, ...]
    get: tuple[str, ...]
    metrics: tuple[Metric, ...]
    max_repetitions: int = 25
    retries: int = 3
    timeout: float = 5.0


@dataclass
class Config:
    auths: dict[str, Auth] = field(default_factory=dict)
    modules: dict[str, Module] = field(default_factory=dict)
    allowed_targets: dict[str, AllowedTargets] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def redacted(self) -> dict[str, Any]:
        return {
            "auths": {n: a.redacted() for n, a in self.auths.items()},
            "allowed_targets": {n: {"sources": a.sources} for n, a in self.allowed_targets.items()},
            "modules": {n: module_to_dict(m) for n, m in self.modules.items()},
        }

    def check_allowed_targets(self) -> None:
        """Every allowed_targets entry names an auth some file defines (a typo would refuse silently)."""
        for name in self.allowed_targets:
            if name not in self.auths:
                known = ", ".join(sorted(self.auths)) or "none"
                raise ConfigError(f"allowed_targets.{name}: no auth named {name!r} (auths: {known})")


# ------------------------------------------------------------------ loading


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, msg: str) -> ConfigError:
        return ConfigError(f"{self.file}: {path}: {msg}" if path else f"{self.file}: {msg}")

    def mapping(
        self, value: Any, path: str, allowed: set[str], required: AbstractSet[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{path}.{key}", "required key is missing")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {type(value).__name__}")
        return value

    def integer(self, value: Any, path: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.fail(path, f"expected an integer from {lo} to {hi}, got {value!r}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        return float(value)

    def oid(self, value: Any, path: str) -> str:
        text = self.string(value, path) if not isinstance(value, int | float) else str(value)
        try:
            ber.oid_to_bytes(text)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None
        return text.strip().lstrip(".")

    def enum(self, value: Any, path: str) -> dict[int, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, "expected a mapping of integer -> name")
        out: dict[int, str] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, int):
                raise self.fail(f"{path}.{k}", "enum keys must be integers")
            out[k] = str(v)
        return out

    def duration(self, value: Any, path: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        m = DURATION_RE.match(str(value))
        if not m:
            raise self.fail(path, f"expected a duration like 5s or 500ms, got {value!r}")
        return float(m[1]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m[2]]

    def secret(self, value: Any, path: str) -> Secret:
        text = self.string(value, path)

        def expand(m: re.Match[str]) -> str:
            if m[1] not in os.environ:
                raise self.fail(path, f"environment variable {m[1]} is not set")
            return os.environ[m[1]]

        return Secret(ENV_RE.sub(expand, text))


AUTH_KEYS = {
    "community",
    "security_level",
    "username",
    "password",
    "auth_protocol",
    "priv_protocol",
    "priv_password",
    "context_name",
    "version",
}


def parse_auth(ctx: _Ctx, name: str, raw: Any) -> Auth:
    p = f"auths.{name}"
    d = ctx.mapping(raw if raw is not None else {}, p, AUTH_KEYS)
    version = ctx.integer(d.get("version", 2), f"{p}.version", 1, 3)
    level = d.get("security_level", "noAuthNoPriv")
    if level not in SECURITY_LEVELS:
        raise ctx.fail(f"{p}.security_level", f"must be one of {', '.join(SECURITY_LEVELS)}")
    auth_proto = d.get("auth_protocol", "MD5")
    priv_proto = d.get("priv_protocol", "DES")
    auth = Auth(
        name=name,
        version=version,
        community=ctx.secret(d.get("community", "public"), f"{p}.community"),
        security_level=level,
        username=ctx.string(d.get("username", ""), f"{p}.username"),
        password=ctx.secret(d.get("password", ""), f"{p}.password"),
        auth_protocol=ctx.string(auth_proto, f"{p}.auth_protocol"),
        priv_protocol=ctx.string(priv_proto, f"{p}.priv_protocol"),
        priv_password=ctx.secret(d.get("priv_password", ""), f"{p}.priv_password"),
        context_name=ctx.string(d.get("context_name", ""), f"{p}.context_name"),
    )
    if version == 3:
        if not auth.username:
            raise ctx.fail(f"{p}.username", "required for version 3")
        if level != "noAuthNoPriv":
            if auth.auth_protocol not in usm.AUTH_PROTOCOLS:
                allowed = ", ".join(usm.AUTH_PROTOCOLS)
                raise ctx.fail(f"{p}.auth_protocol", f"unsupported {auth.auth_protocol!r} (one of {allowed})")
            if not auth.password.reveal():
                raise ctx.fail(f"{p}.password", f"required for security_level {level}")
        if level == "authPriv":
            if auth.priv_protocol not in usm.PRIV_PROTOCOLS:
                allowed = ", ".join(usm.PRIV_PROTOCOLS)
                raise ctx.fail(
                    f"{p}.priv_protocol",
                    f"unsupported {auth.priv_protocol!r} (one of {allowed}; DES is obsolete)",
                )
            if not auth.priv_password.reveal():
                raise ctx.fail(f"{p}.priv_password", "required for security_level authPriv")
    return auth


def parse_index(ctx: _Ctx, p: str, raw: Any) -> Index:
    d = ctx.mapping(
        raw, p, {"labelname", "type", "fixed_size", "implied", "enum_values"}, {"labelname", "type"}
    )
    label = ctx.string(d["labelname"], f"{p}.labelname")
    if not LABEL_RE.match(label):
        raise ctx.fail(f"{p}.labelname", f"invalid label name {label!r}")
    typ = ctx.string(d["type"], f"{p}.type")
    if typ not in INDEX_TYPES:
        raise ctx.fail(f"{p}.type", f"unknown index type {typ!r} (one of {', '.join(sorted(INDEX_TYPES))})")
    implied = d.get("implied", False)
    if not isinstance(implied, bool):
        raise ctx.fail(f"{p}.implied", "expected true or false")
    return Index(
        label,
        typ,
        ctx.integer(d.get("fixed_size", 0), f"{p}.fixed_size", 0, 128),
        implied,
        ctx.enum(d.get("enum_values"), f"{p}.enum_values"),
    )


def parse_metric(ctx: _Ctx, p: str, raw: Any) -> Metric:
    keys = {"name", "oid", "type", "help", "indexes", "lookups", "enum_values", "scale", "offset"}
    d = ctx.mapping(raw, p, keys, {"name", "oid", "type"})
    name = ctx.string(d["name"], f"{p}.name")
    if not NAME_RE.match(name):
        raise ctx.fail(f"{p}.name", f"invalid metric name {name!r}")
    typ = ctx.string(d["type"], f"{p}.type")
    if typ not in METRIC_TYPES:
        raise ctx.fail(f"{p}.type", f"unknown metric type {typ!r} (one of {', '.join(sorted(METRIC_TYPES))})")
    indexes = tuple(parse_index(ctx, f"{p}.indexes[{i}]", x) for i, x in enumerate(d.get("indexes") or []))
    known = {ix.labelname for ix in indexes}
    lookups = []
    for i, x in enumerate(d.get("lookups") or []):
        lp = f"{p}.lookups[{i}]"
        ld = ctx.mapping(x, lp, {"labels", "labelname", "oid", "type"}, {"labels", "labelname"})
        labels = ld["labels"] or []
        if not isinstance(labels, list):
            raise ctx.fail(f"{lp}.labels", "expected a list of label names")
        for lab in labels:
            if lab not in known:
                raise ctx.fail(f"{lp}.labels", f"label {lab!r} is neither an index nor an earlier lookup")
        labelname = ctx.string(ld["labelname"], f"{lp}.labelname")
        if not LABEL_RE.match(labelname):
            raise ctx.fail(f"{lp}.labelname", f"invalid label name {labelname!r}")
        if labels and "oid" not in ld:
            raise ctx.fail(f"{lp}.oid", "required key is missing")
        ltype = ctx.string(ld.get("type", "DisplayString"), f"{lp}.type")
        if labels and ltype not in METRIC_TYPES:
            raise ctx.fail(f"{lp}.type", f"unknown type {ltype!r}")
        oid = ctx.oid(ld["oid"], f"{lp}.oid") if labels else ""
        lookups.append(Lookup(tuple(labels), labelname, oid, ltype))
        known.add(labelname)
    return Metric(
        name=name,
        oid=ctx.oid(d["oid"], f"{p}.oid"),
        type=typ,
        help=str(d.get("help", "") or ""),
        indexes=indexes,
        lookups=tuple(lookups),
        enum_values=ctx.enum(d.get("enum_values"), f"{p}.enum_values"),
        scale=ctx.number(d.get("scale", 0), f"{p}.scale"),
        offset=ctx.number(d.get("offset", 0), f"{p}.offset"),
    )


def _covered(oid: str, roots: list[str]) -> bool:
    return any(oid == r or oid.startswith(r + ".") or r.startswith(oid + ".") for r in roots)


def parse_module(ctx: _Ctx, name: str, raw: Any) -> Module:
    p = f"modules.{name}"
    keys = {"walk", "get", "metrics", "max_repetitions", "retries", "timeout", "walk_params"}
    d = ctx.mapping(raw, p, keys)
    walk = [ctx.oid(x, f"{p}.walk[{i}]") for i, x in enumerate(d.get("walk") or [])]
    get = [ctx.oid(x, f"{p}.get[{i}]") for i, x in enumerate(d.get("get") or [])]
    if not walk and not get:
        raise ctx.fail(p, "a module needs at least one OID under walk or get")
    metrics = tuple(parse_metric(ctx, f"{p}.metrics[{i}]", x) for i, x in enumerate(d.get("metrics") or []))
    for i, m in enumerate(metrics):
        if not _covered(m.oid, walk + get):
            raise ctx.fail(f"{p}.metrics[{i}].oid", f"{m.oid} is under no walk or get OID of the module")
        for j, lk in enumerate(m.lookups):
            if lk.oid and not _covered(lk.oid, walk + get):
                raise ctx.fail(f"{p}.metrics[{i}].lookups[{j}].oid", f"{lk.oid} is under no walk or get OID")
    empty: dict[str, Any] = {}
    wp = ctx.mapping(
        d.get("walk_params") or empty, f"{p}.walk_params", {"max_repetitions", "retries", "timeout"}
    )
    merged: dict[str, Any] = dict(wp)
    merged.update({k: d[k] for k in ("max_repetitions", "retries", "timeout") if k in d})
    return Module(
        name=name,
        walk=tuple(walk),
        get=tuple(get),
        metrics=metrics,
        max_repetitions=ctx.integer(merged.get("max_repetitions", 25), f"{p}.max_repetitions", 1, 200),
        retries=ctx.integer(merged.get("retries", 3), f"{p}.retries", 0, 10),
        timeout=ctx.duration(merged.get("timeout", "5s"), f"{p}.timeout"),
    )


def _section(ctx: _Ctx, d: dict[str, Any], kind: str, existing: dict[str, Any]) -> list[tuple[str, Any]]:
    section = d.get(kind) or {}
    if not isinstance(section, dict):
        raise ctx.fail(kind, "expected a mapping")
    for name in section:
        if not isinstance(name, str) or not name:
            raise ctx.fail(f"{kind}.{name}", "names must be non-empty strings")
        if name in existing:
            raise ctx.fail(f"{kind}.{name}", "defined twice")
    return list(section.items())


def parse(text: str, file: str, into: Config | None = None) -> Config:
    ctx = _Ctx(file)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    cfg = into or Config()
    d = ctx.mapping(raw if raw is not None else {}, "", {"auths", "modules", "allowed_targets"})
    for name, value in _section(ctx, d, "auths", cfg.auths):
        cfg.auths[name] = parse_auth(ctx, name, value)
    for name, value in _section(ctx, d, "modules", cfg.modules):
        cfg.modules[name] = parse_module(ctx, name, value)
    try:
        parse_section(d.get("allowed_targets"), file, cfg.allowed_targets)
    except AllowlistError as exc:
        raise ConfigError(str(exc)) from None
    cfg.files = (*cfg.files, file)
    return cfg


def bundled_files() -> list[Path]:
    return sorted(BUNDLED_DIR.glob("*.yml"))


def load(paths: list[str] | None = None) -> Config:
    """Load and merge config files; no paths = the bundled configuration (every module)."""
    files = paths if paths else [str(p) for p in bundled_files()]
    cfg = Config()
    for f in files:
        try:
            text = Path(f).read_text()
        except OSError as exc:
            raise ConfigError(f"{f}: cannot read: {exc.strerror}") from None
        parse(text, f, cfg)
    cfg.check_allowed_targets()
    return cfg


def module_to_dict(m: Module) -> dict[str, Any]:
    def metric(x: Metric) -> dict[str, Any]:
        out: dict[str, Any] = {"name": x.name, "oid": x.oid, "type": x.type}
        if x.help:
            out["help"] = x.help
        if x.indexes:
            out["indexes"] = [{"labelname": i.labelname, "type": i.type} for i in x.indexes]
        if x.lookups:
            out["lookups"] = [
                {"labels": list(lk.labels), "labelname": lk.labelname, "oid": lk.oid, "type": lk.type}
                for lk in x.lookups
            ]
        if x.enum_values:
            out["enum_values"] = dict(x.enum_values)
        if x.scale:
            out["scale"] = x.scale
        if x.offset:
            out["offset"] = x.offset
        return out

    return {
        "walk": list(m.walk),
        "get": list(m.get),
        "max_repetitions": m.max_repetitions,
        "retries": m.retries,
        "timeout": f"{m.timeout:g}s",
        "metrics": [metric(x) for x in m.metrics],
    }
