"""Exporter configuration: YAML with `auths` separate from `modules`, validated strictly at load.

The format is snmp_exporter's (v0.23+) `snmp.yml`, so its generated modules load as they are.
This module reads the files and the `modules` (what to walk, how varbinds become metrics);
`auths` are auth.py's, `allowed_targets` (the targets each auth may be sent to; default: none)
allowlist.py's. Every value is read through validate.FileContext, so errors (`ConfigError`)
name the file and the key (`snmp.yml: modules.if_mib.metrics[3].type: ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .allowlist import AllowedTargets, AllowlistError, parse_section
from .auth import Auth, parse_auth
from .validate import ConfigError, FileContext

BUNDLED_DIR = Path(__file__).with_name("modules")

# Metric types by what becomes of the value: the sample's value; decoded into a number or states;
# a label (the sample is 1). samples.py turns each kind into series.
NUMBER_TYPES = frozenset({"gauge", "counter", "Float", "Double"})
DECODED_TYPES = frozenset({"DateAndTime", "EnumAsInfo", "EnumAsStateSet", "Bits"})
STRING_TYPES = frozenset(
    {"OctetString", "DisplayString", "PhysAddress48", "IpAddr", "InetAddressIPv4", "InetAddressIPv6"}
    | {"ObjectIdentifier"}
)
METRIC_TYPES = NUMBER_TYPES | DECODED_TYPES | STRING_TYPES
INDEX_TYPES = frozenset(
    {"gauge", "counter", "Integer32", "Integer", "PhysAddress48", "OctetString", "DisplayString"}
    | {"InetAddressIPv4", "IpAddr", "InetAddressIPv6", "EnumAsInfo"}
)
NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


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


def parse_index(ctx: FileContext, p: str, raw: Any) -> Index:
    d = ctx.mapping(
        raw, p, {"labelname", "type", "fixed_size", "implied", "enum_values"}, {"labelname", "type"}
    )
    label = ctx.matching(d["labelname"], f"{p}.labelname", LABEL_RE, "label name")
    typ = ctx.choice(d["type"], f"{p}.type", INDEX_TYPES, "index type")
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


def parse_lookup(ctx: FileContext, p: str, raw: Any, known: set[str]) -> Lookup:
    """A lookup whose `labels` are among `known` (the indexes and the earlier lookups)."""
    d = ctx.mapping(raw, p, {"labels", "labelname", "oid", "type"}, {"labels", "labelname"})
    labels = d["labels"] or []
    if not isinstance(labels, list):
        raise ctx.fail(f"{p}.labels", "expected a list of label names")
    for lab in labels:
        if lab not in known:
            raise ctx.fail(f"{p}.labels", f"label {lab!r} is neither an index nor an earlier lookup")
    labelname = ctx.matching(d["labelname"], f"{p}.labelname", LABEL_RE, "label name")
    if labels and "oid" not in d:
        raise ctx.fail(f"{p}.oid", "required key is missing")
    ltype = ctx.string(d.get("type", "DisplayString"), f"{p}.type")
    if labels and ltype not in METRIC_TYPES:
        raise ctx.fail(f"{p}.type", f"unknown type {ltype!r}")
    oid = ctx.oid(d["oid"], f"{p}.oid") if labels else ""
    return Lookup(tuple(labels), labelname, oid, ltype)


def parse_metric(ctx: FileContext, p: str, raw: Any) -> Metric:
    keys = {"name", "oid", "type", "help", "indexes", "lookups", "enum_values", "scale", "offset"}
    d = ctx.mapping(raw, p, keys, {"name", "oid", "type"})
    name = ctx.matching(d["name"], f"{p}.name", NAME_RE, "metric name")
    typ = ctx.choice(d["type"], f"{p}.type", METRIC_TYPES, "metric type")
    indexes = tuple(parse_index(ctx, f"{p}.indexes[{i}]", x) for i, x in enumerate(d.get("indexes") or []))
    known = {ix.labelname for ix in indexes}
    lookups = []
    for i, x in enumerate(d.get("lookups") or []):
        lookups.append(parse_lookup(ctx, f"{p}.lookups[{i}]", x, known))
        known.add(lookups[-1].labelname)
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


def parse_module(ctx: FileContext, name: str, raw: Any) -> Module:
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


def _section(
    ctx: FileContext, d: dict[str, Any], kind: str, existing: dict[str, Any]
) -> list[tuple[str, Any]]:
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
    ctx = FileContext(file)
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
