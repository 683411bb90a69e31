"""Turning varbinds into Prometheus samples the way snmp_exporter does.

A port of snmp_exporter's collector semantics (indexes -> labels, lookups, string
types as labels, EnumAsInfo / EnumAsStateSet / Bits, Counter64 wrapped at 2^53) so
that the same module yields the same series. Values here are Go's, not pyasn1's.
"""

from __future__ import annotations

import datetime
import re
import struct

from . import ber
from .config import DECODED_TYPES, NUMBER_TYPES, Index, Lookup, Metric

MANTISSA_MASK = (1 << 53) - 1
_SURROGATES = re.compile("[\udc80-\udcff]+")


def escape_label(s: str) -> str:
    if "\\" in s or '"' in s or "\n" in s:
        s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return s


def escape_help(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n")


def valid_utf8(b: bytes) -> str:
    """Go's strings.ToValidUTF8(s, "\ufffd"): each run of invalid bytes becomes one U+FFFD."""
    try:
        return b.decode()
    except UnicodeDecodeError:
        return _SURROGATES.sub("\ufffd", b.decode("utf-8", "surrogateescape"))


def _split(ids: list[int], n: int) -> tuple[list[int], list[int]]:
    head = ids[:n]
    if len(head) < n:
        head += [0] * (n - len(head))
    return head, ids[n:]


def index_as_string(
    ids: list[int], typ: str, fixed: int = 0, implied: bool = False, enum: dict[int, str] | None = None
) -> tuple[str, list[int], list[int]]:
    """snmp_exporter's indexOidsAsString: (label value, sub-OID used, remaining sub-OIDs)."""
    if typ in ("Integer32", "Integer", "gauge", "counter"):
        sub, rest = _split(ids, 1)
        return str(sub[0]), sub, rest
    if typ == "PhysAddress48":
        sub, rest = _split(ids, 6)
        return ":".join(f"{o & 0xFF:02X}" for o in sub), sub, rest
    if typ in ("OctetString", "DisplayString"):
        sub = []
        length = len(ids) if implied else fixed
        if length == 0:
            sub, ids = _split(ids, 1)
            length = sub[0]
        content, rest = _split(ids, length)
        sub = sub + content
        raw = bytes(o & 0xFF for o in content)
        if typ == "DisplayString":
            return valid_utf8(raw), sub, rest
        return ("0x" + raw.hex().upper()) if raw else "", sub, rest
    if typ in ("InetAddressIPv4", "IpAddr"):
        sub, rest = _split(ids, 4)
        return ".".join(map(str, sub)), sub, rest
    if typ == "InetAddressIPv6":
        sub, rest = _split(ids, 16)
        h = [f"{o & 0xFF:02X}" for o in sub]
        return ":".join(h[i] + h[i + 1] for i in range(0, 16, 2)), sub, rest
    if typ == "EnumAsInfo":
        sub, rest = _split(ids, 1)
        return (enum or {}).get(sub[0], str(sub[0])), sub, rest
    raise ValueError(f"unknown index type {typ}")


def opaque_number(b: bytes) -> float | None:
    """Opaque-wrapped float (0x9f78) or double (0x9f79), as net-snmp sends them."""
    if len(b) >= 7 and b[0] == 0x9F and b[1] == 0x78 and b[2] == 4:
        return float(struct.unpack(">f", b[3:7])[0])
    if len(b) >= 11 and b[0] == 0x9F and b[1] == 0x79 and b[2] == 8:
        return float(struct.unpack(">d", b[3:11])[0])
    return None


def pdu_value(tag: int, value: int | bytes | None) -> float | int:
    """getPduValue: numbers as numbers (Counter64 wrapped at 2^53), anything else 0."""
    if type(value) is int:
        return value & MANTISSA_MASK if tag == ber.COUNTER64 else value
    if tag == ber.OPAQUE and isinstance(value, bytes):
        f = opaque_number(value)
        return 0 if f is None else f
    return 0


def pdu_string(tag: int, value: int | bytes | None, typ: str) -> str:
    """pduValueAsString: the text form of a value for a label."""
    if value is None:
        return ""
    if type(value) is int:
        return str(value)
    assert isinstance(value, bytes)
    if tag == ber.OBJECT_IDENTIFIER:
        return ber.oid_str(value)
    if tag == ber.IP_ADDRESS:
        return ".".join(map(str, value))
    if tag == ber.OPAQUE:
        f = opaque_number(value)
        if f is not None:
            return repr(f).removesuffix(".0") if f == int(f) else repr(f)
    if typ in ("", "OctetString", "ObjectIdentifier"):
        return "0x" + value.hex().upper() if value else ""
    if typ == "DisplayString":
        return valid_utf8(value)
    try:
        return index_as_string(list(value), typ)[0]
    except ValueError:
        return "0x" + value.hex().upper() if value else ""


def date_and_time(b: bytes) -> float:
    """DateAndTime (RFC 2579) -> Unix seconds, as snmp_exporter parses it."""
    if len(b) not in (8, 11):
        raise ValueError(f"invalid DateAndTime length {len(b)}")
    tz = datetime.UTC
    if len(b) == 11:
        sign = -1 if b[8] == ord("-") else 1
        tz = datetime.timezone(sign * datetime.timedelta(hours=b[9], minutes=b[10]))
    year = int.from_bytes(b[0:2], "big")
    dt = datetime.datetime(year, b[2], b[3], b[4], b[5], b[6], tzinfo=tz)  # Go drops deci-seconds
    return float(int(dt.timestamp()))


class LabelSpec:
    """Indexes + lookups shared by several metrics: rendered once per row per scrape."""

    def __init__(self, indexes: tuple[Index, ...], lookups: tuple[Lookup, ...]) -> None:
        self.indexes = indexes
        self.lookups = lookups
        self.lookup_prefix = [ber.oid_to_bytes(lk.oid) if lk.labels else b"" for lk in lookups]
        names = [ix.labelname for ix in indexes]
        for lk in lookups:
            if not lk.labels:
                if lk.labelname in names:
                    names.remove(lk.labelname)
            elif lk.labelname not in names:
                names.append(lk.labelname)
        self.names = frozenset(names)
        self.order = sorted(names)
        self.simple = (
            len(indexes) == 1 and indexes[0].type in ("gauge", "Integer32", "Integer") and not lookups
        )
        self.cache: dict[bytes, str] = {}

    def render(self, index: bytes, oid_map: dict[bytes, ber.VarBind]) -> str:
        """The `{a="x",b="y"}` part for a row (or "" without labels)."""
        labels, _ = self.labels(index, oid_map)
        if not labels:
            return ""
        return "{" + ",".join(f'{k}="{escape_label(labels[k])}"' for k in self.order if k in labels) + "}"

    def labels(self, index: bytes, oid_map: dict[bytes, ber.VarBind]) -> tuple[dict[str, str], list[int]]:
        ids = ber.subids(index)
        labels: dict[str, str] = {}
        label_oids: dict[str, list[int]] = {}
        for ix in self.indexes:
            text, sub, ids = index_as_string(ids, ix.type, ix.fixed_size, ix.implied, ix.enum_values)
            labels[ix.labelname] = text
            label_oids[ix.labelname] = sub
        for lk, prefix in zip(self.lookups, self.lookup_prefix, strict=True):
            if not lk.labels:
                labels.pop(lk.labelname, None)
                continue
            key = prefix + b"".join(ber.enc_subids(label_oids.get(lab, [])) for lab in lk.labels)
            vb = oid_map.get(key)
            if vb is None:
                labels[lk.labelname] = ""
            else:
                labels[lk.labelname] = pdu_string(vb[1], vb[2], lk.type)
                label_oids[lk.labelname] = [int(pdu_value(vb[1], vb[2]))]
        return labels, ids


KIND_NUMBER, KIND_STRING, KIND_OTHER = 0, 1, 2


class CompiledMetric:
    __slots__ = ("family", "help", "kind", "lines", "m", "plen", "prefix", "prom_type", "spec")

    def __init__(self, m: Metric, spec: LabelSpec) -> None:
        self.m = m
        self.prefix = ber.oid_to_bytes(m.oid)
        self.plen = len(self.prefix)
        self.spec = spec
        self.lines: list[str] = []
        if m.type in NUMBER_TYPES and not m.scale and not m.offset:
            self.kind = KIND_NUMBER
        elif m.type in NUMBER_TYPES or m.type in DECODED_TYPES:
            self.kind = KIND_OTHER
        else:
            self.kind = KIND_STRING
        suffix = {"EnumAsInfo": " (EnumAsInfo)", "EnumAsStateSet": " (EnumAsStateSet)", "Bits": " (Bits)"}
        self.family = m.name + "_info" if m.type == "EnumAsInfo" else m.name
        self.help = m.help + suffix.get(m.type, "")
        self.prom_type = "counter" if m.type == "counter" else "gauge"

    def other(self, lab: str, tag: int, value: int | bytes | None) -> None:
        """The less common types (scaled numbers, dates, enums, bits)."""
        m = self.m
        name = m.name
        if m.type == "DateAndTime":
            if not isinstance(value, bytes):
                return
            try:
                num: float | int = date_and_time(value)
            except ValueError:
                return
            self.lines.append(f"{name}{lab} {num!r}")
            return
        if m.type in NUMBER_TYPES:
            num = pdu_value(tag, value)
            if m.scale:
                num *= m.scale
            if m.offset:
                num += m.offset
            self.lines.append(f"{name}{lab} {num!r}")
            return
        join = lab[:-1] + "," if lab else "{"
        if m.type == "Bits":
            if not isinstance(value, bytes):
                return
            for k, state in m.enum_values.items():
                bit = 1 if k // 8 < len(value) and value[k // 8] & (128 >> (k % 8)) else 0
                self.lines.append(f'{name}{join}{name}="{escape_label(state)}"}} {bit}')
            return
        num = int(pdu_value(tag, value))
        state = m.enum_values.get(num, str(num))
        if m.type == "EnumAsInfo":
            self.lines.append(f'{name}_info{join}{name}="{escape_label(state)}"}} 1')
            return
        self.lines.append(f'{name}{join}{name}="{escape_label(state)}"}} 1')
        for k, other in m.enum_values.items():
            if k != num:
                self.lines.append(f'{name}{join}{name}="{escape_label(other)}"}} 0')

    def string(self, lab: str, tag: int, value: int | bytes | None) -> None:
        name = self.m.name
        if name in self.spec.names:
            self.lines.append(f"{name}{lab} 1")
            return
        text = escape_label(pdu_string(tag, value, self.m.type))
        join = lab[:-1] + "," if lab else "{"
        self.lines.append(f'{name}{join}{name}="{text}"}} 1')
