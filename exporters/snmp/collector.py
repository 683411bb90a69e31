"""One scrape: walk/get each module on one target, render the Prometheus text exposition.

No state carries across scrapes; one failing module becomes `snmp_scrape_error{module}`
and the other modules still answer. Rendering is done here (not with prometheus-client)
so metric names stay exactly snmp_exporter's (`ifHCInOctets`, no `_total`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from . import ber
from .auth import Auth
from .client import Session, SnmpError, Target, UdpDispatcher
from .config import Module
from .samples import (
    KIND_NUMBER,
    KIND_OTHER,
    MANTISSA_MASK,
    CompiledMetric,
    LabelSpec,
    escape_help,
    escape_label,
)

log = logging.getLogger("exporters.snmp.collector")


class CompiledModule:
    """A module turned into byte prefixes and shared label specs, built once per config load."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.name = module.name
        self.walk = [ber.oid_to_bytes(o) for o in module.walk]
        self.get = [ber.oid_to_bytes(o) for o in module.get]
        specs: dict[str, LabelSpec] = {}
        metrics: dict[bytes, CompiledMetric] = {}
        for m in module.metrics:
            key = repr((m.indexes, m.lookups))
            spec = specs.setdefault(key, LabelSpec(m.indexes, m.lookups))
            cm = CompiledMetric(m, spec)
            metrics.setdefault(cm.prefix, cm)
        # snmp_exporter matches the shortest metric OID on a varbind's path: drop metrics under another.
        self.by_prefix = {
            p: cm for p, cm in metrics.items() if not any(p != q and p.startswith(q) for q in metrics)
        }
        self.prefix_lens = sorted({len(p) for p in self.by_prefix})
        self.specs = list(specs.values())
        self.metrics = list(self.by_prefix.values())

    def find(self, oid: bytes) -> CompiledMetric | None:
        get = self.by_prefix.get
        for n in self.prefix_lens:
            if n > len(oid):
                return None
            cm = get(oid[:n])
            if cm is not None:
                return cm
        return None

    def process(self, varbinds: list[ber.VarBind], families: dict[str, Family]) -> None:
        """Varbinds -> sample lines, appended to families (synchronous: no await inside)."""
        oid_map = {vb[0]: vb for vb in varbinds}
        for spec in self.specs:
            spec.cache = {}
        for each in self.metrics:
            each.lines = []
        cm: CompiledMetric | None = None
        prefix = b""
        for oid, tag, value in oid_map.values():
            if cm is None or not oid.startswith(prefix):
                cm = self.find(oid)
                if cm is None:
                    continue
                prefix, plen, spec, cache, lines, name, kind = (
                    cm.prefix,
                    cm.plen,
                    cm.spec,
                    cm.spec.cache,
                    cm.lines,
                    cm.m.name,
                    cm.kind,
                )
            assert cm is not None
            index = oid[plen:]
            lab = cache.get(index)
            if lab is None:
                lab = cache[index] = spec.render(index, oid_map)
            if kind == KIND_NUMBER:
                if type(value) is int:
                    if tag == ber.COUNTER64:
                        value &= MANTISSA_MASK
                    lines.append(f"{name}{lab} {value}")
                else:
                    cm.other(lab, tag, value)
            elif kind == KIND_OTHER:
                cm.other(lab, tag, value)
            else:
                cm.string(lab, tag, value)
        for each in self.metrics:
            if each.lines:
                fam = families.get(each.family)
                if fam is None:
                    fam = families[each.family] = Family(each.help, each.prom_type)
                fam.add(self.name, each.lines)


@dataclass
class Family:
    help: str
    type: str
    lines: list[str] = field(default_factory=list)
    modules: set[str] = field(default_factory=set)

    def add(self, module: str, lines: list[str]) -> None:
        self.modules.add(module)
        self.lines.extend(lines)

    def render(self, name: str, out: list[str]) -> None:
        lines = self.lines
        if len(self.modules) > 1:  # two modules reading the same object: one series each
            seen: dict[str, str] = {}
            for line in lines:
                seen.setdefault(line.rpartition(" ")[0], line)
            lines = list(seen.values())
        out.append(f"# HELP {name} {escape_help(self.help)}\n# TYPE {name} {self.type}\n")
        out.append("\n".join(lines))
        out.append("\n")


@dataclass
class ModuleResult:
    module: str
    walk_seconds: float = 0.0
    total_seconds: float = 0.0
    pdus: int = 0
    packets: int = 0
    error: str = ""


SCRAPE_FAMILIES = (
    ("snmp_scrape_walk_duration_seconds", "Time SNMP walk/bulkwalk took."),
    ("snmp_scrape_pdus_returned", "PDUs returned from walk."),
    ("snmp_scrape_duration_seconds", "Total SNMP time scrape took (walk and processing)."),
    ("snmp_scrape_packets_sent", "Packets sent for get, bulkget, and walk; including retries."),
    ("snmp_scrape_error", "1 if the module failed in this scrape (see snmp_scrape_error_info), else 0."),
)


def target_for(host: str, port: int, auth: Auth, module: Module) -> Target:
    return Target(
        host=host,
        port=port,
        version=auth.version,
        community=auth.community.reveal().encode(),
        user=auth.usm_user(),
        timeout=module.timeout,
        retries=module.retries,
        max_repetitions=module.max_repetitions,
    )


async def scrape(
    dispatcher: UdpDispatcher,
    host: str,
    resolved: str | SnmpError,
    port: int,
    auth: Auth,
    modules: list[CompiledModule],
    deadline: float,
) -> tuple[str, list[ModuleResult]]:
    """Scrape one target (HOST as asked, RESOLVED to an address by the caller, which has checked
    it, or the resolution error) for some modules; returns the exposition text and results."""
    families: dict[str, Family] = {}
    results: list[ModuleResult] = []
    session: Session | None = None
    address, resolve_error = ("", str(resolved)) if isinstance(resolved, SnmpError) else (resolved, "")
    for cmod in modules:
        res = ModuleResult(cmod.name)
        results.append(res)
        start = time.monotonic()
        if resolve_error:
            res.error = resolve_error
            continue
        target = target_for(address, port, auth, cmod.module)
        if session is None:
            session = Session(dispatcher, target, deadline)
        else:
            session.t = target
        sent_before = session.packets.sent
        varbinds: list[ber.VarBind] = []
        try:
            if cmod.get:
                varbinds.extend(await session.get(cmod.get))
            for root in cmod.walk:
                await session.walk(root, varbinds)
            res.walk_seconds = time.monotonic() - start
            res.pdus = len(varbinds)
            cmod.process(varbinds, families)
        except SnmpError as exc:
            res.error = str(exc)
        except Exception as exc:  # a bug or a reply we cannot interpret: report it, keep serving
            log.exception("module %s on %s failed", cmod.name, host)
            res.error = f"internal error: {type(exc).__name__}: {exc}"
        res.packets = session.packets.sent - sent_before
        res.total_seconds = time.monotonic() - start
        if res.error:
            log.info("scrape of %s module %s failed: %s", host, cmod.name, res.error)
    return render(families, results), results


def render(families: dict[str, Family], results: list[ModuleResult]) -> str:
    out: list[str] = []
    for name, fam in families.items():
        fam.render(name, out)
    for i, (name, help_) in enumerate(SCRAPE_FAMILIES):
        out.append(f"# HELP {name} {help_}\n# TYPE {name} gauge\n")
        for r in results:
            value = (r.walk_seconds, r.pdus, r.total_seconds, r.packets, 1 if r.error else 0)[i]
            out.append(f'{name}{{module="{r.module}"}} {value}\n')
    failed = [r for r in results if r.error]
    if failed:
        name = "snmp_scrape_error_info"
        out.append(f"# HELP {name} Why a module failed in this scrape.\n# TYPE {name} gauge\n")
        out.extend(f'{name}{{error="{escape_label(r.error)}",module="{r.module}"}} 1\n' for r in failed)
    return "".join(out)
