"""A small BER codec for the SNMP messages the exporter sends and receives.

Only what GET / GETNEXT / GETBULK need. The decoder is the hot path: it keeps OIDs
as their encoded content bytes (prefix tests on bytes are exact because every
sub-identifier encoding ends with a byte < 0x80) and turns values into plain
Python objects. pysnmp stays the reference: tests compare both on real agents.
"""

from __future__ import annotations

from functools import lru_cache

# ASN.1 / SNMP tags
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
GETBULK = 0xA5
REPORT = 0xA8

UNSIGNED_TAGS = frozenset((COUNTER32, GAUGE32, TIMETICKS, COUNTER64))
BYTES_TAGS = frozenset((OCTET_STRING, IP_ADDRESS, OBJECT_IDENTIFIER, OPAQUE))
EXCEPTION_TAGS = frozenset((NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW))

# A varbind: (OID content bytes, tag, value). value is int for numbers, bytes for
# strings / IpAddress / Opaque / OID (content bytes), None for NULL and exceptions.
VarBind = tuple[bytes, int, "int | bytes | None"]


class MalformedPacket(ValueError):
    """The bytes are not a well-formed SNMP message of the kind expected."""


# ---------------------------------------------------------------- encoding


def enc_len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, payload: bytes) -> bytes:
    return bytes((tag,)) + enc_len(len(payload)) + payload


def enc_int(value: int, tag: int = INTEGER) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def enc_uint(value: int, tag: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(size, "big", signed=False))


@lru_cache(maxsize=4096)
def oid_to_bytes(oid: str) -> bytes:
    """'1.3.6.1.2.1' (or '.1.3...') -> BER content bytes of the OID."""
    try:
        parts = [int(p) for p in oid.strip().lstrip(".").split(".")]
    except ValueError:
        raise ValueError(f"not a numeric OID: {oid!r}") from None
    if len(parts) < 2 or parts[0] > 2 or (parts[0] < 2 and parts[1] > 39) or min(parts) < 0:
        raise ValueError(f"not a valid OID: {oid!r}")
    return enc_subids([parts[0] * 40 + parts[1], *parts[2:]])


def enc_subids(ids: list[int]) -> bytes:
    """Sub-identifiers -> their base-128 encoding (OID content bytes; the first two arcs already joined)."""
    out = bytearray()
    for n in ids:
        if n < 0x80:
            out.append(n & 0x7F)
            continue
        chunk = bytearray()
        while n:
            chunk.append(0x80 | (n & 0x7F))
            n >>= 7
        chunk[0] &= 0x7F
        chunk.reverse()
        out += chunk
    return bytes(out)


def subids(content: bytes) -> list[int]:
    """Sub-identifiers of encoded OID content; the first byte is NOT split (use oid_tuple)."""
    out: list[int] = []
    n = 0
    for b in content:
        n = (n << 7) | (b & 0x7F)
        if b < 0x80:
            out.append(n)
            n = 0
    if content and content[-1] >= 0x80:
        raise MalformedPacket("truncated OID")
    return out


def oid_tuple(content: bytes) -> tuple[int, ...]:
    ids = subids(content)
    if not ids:
        return ()
    first = ids[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *ids[1:])


@lru_cache(maxsize=65536)
def oid_str(content: bytes) -> str:
    return ".".join(map(str, oid_tuple(content)))


def enc_varbinds(oids: list[bytes]) -> bytes:
    return tlv(SEQUENCE, b"".join(tlv(SEQUENCE, tlv(OBJECT_IDENTIFIER, o) + b"\x05\x00") for o in oids))


def enc_pdu(
    pdu_type: int, request_id: int, oids: list[bytes], non_repeaters: int = 0, max_rep: int = 0
) -> bytes:
    """GET/GETNEXT (error fields 0) or GETBULK (non-repeaters, max-repetitions)."""
    body = enc_int(request_id) + enc_int(non_repeaters) + enc_int(max_rep) + enc_varbinds(oids)
    return tlv(pdu_type, body)


def enc_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    """version: 0 for SNMPv1, 1 for SNMPv2c."""
    return tlv(SEQUENCE, enc_int(version) + tlv(OCTET_STRING, community) + pdu)


# ---------------------------------------------------------------- decoding


def read_tl(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at pos; checks it fits before end."""
    if pos + 2 > end:
        raise MalformedPacket("truncated header")
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > end:
            raise MalformedPacket("bad length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > end:
        raise MalformedPacket("truncated value")
    return tag, pos, pos + n


def read_int(data: bytes, pos: int, end: int) -> tuple[int, int]:
    tag, s, e = read_tl(data, pos, end)
    if tag != INTEGER or s == e:
        raise MalformedPacket(f"expected INTEGER, got tag 0x{tag:02x}")
    return int.from_bytes(data[s:e], "big", signed=True), e


def read_octets(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    tag, s, e = read_tl(data, pos, end)
    if tag != OCTET_STRING:
        raise MalformedPacket(f"expected OCTET STRING, got tag 0x{tag:02x}")
    return data[s:e], e


def decode_varbinds(data: bytes, pos: int, end: int, out: list[VarBind]) -> None:
    """Append the varbinds of the VarBindList starting at pos to out (the hot loop)."""
    tag, pos, end = read_tl(data, pos, end)
    if tag != SEQUENCE:
        raise MalformedPacket("expected varbind list")
    append = out.append
    from_bytes = int.from_bytes
    while pos < end:
        # VarBind SEQUENCE: short lengths are the common case, inline them.
        if data[pos] != SEQUENCE:
            raise MalformedPacket("expected varbind")
        n = data[pos + 1]
        if n < 0x80:
            pos += 2
            vend = pos + n
        else:
            _, pos, vend = read_tl(data, pos, end)
        if vend > end or data[pos] != OBJECT_IDENTIFIER:
            raise MalformedPacket("bad varbind")
        n = data[pos + 1]
        if n < 0x80:
            oid = data[pos + 2 : pos + 2 + n]
            pos += 2 + n
        else:
            _, s, pos = read_tl(data, pos, vend)
            oid = data[s:pos]
        if pos + 2 > vend:
            raise MalformedPacket("truncated varbind")
        tag = data[pos]
        n = data[pos + 1]
        if n < 0x80:
            s = pos + 2
            pos = s + n
        else:
            tag, s, pos = read_tl(data, pos, vend)
        if pos != vend or not oid or oid[-1] & 0x80:
            raise MalformedPacket("bad varbind")
        if tag in BYTES_TAGS:
            append((oid, tag, data[s:pos]))
        elif tag == INTEGER:
            append((oid, tag, from_bytes(data[s:pos], "big", signed=True)))
        elif tag in UNSIGNED_TAGS:
            append((oid, tag, from_bytes(data[s:pos], "big")))
        elif tag in EXCEPTION_TAGS:
            append((oid, tag, None))
        else:
            raise MalformedPacket(f"unknown value tag 0x{tag:02x}")


class Pdu:
    """A decoded response / report PDU."""

    __slots__ = ("error_index", "error_status", "pdu_type", "request_id", "varbinds")

    def __init__(self, pdu_type: int, request_id: int, error_status: int, error_index: int) -> None:
        self.pdu_type = pdu_type
        self.request_id = request_id
        self.error_status = error_status
        self.error_index = error_index
        self.varbinds: list[VarBind] = []


def decode_pdu(data: bytes, pos: int, end: int) -> Pdu:
    tag, pos, end = read_tl(data, pos, end)
    if tag not in (RESPONSE, REPORT):
        raise MalformedPacket(f"unexpected PDU type 0x{tag:02x}")
    rid, pos = read_int(data, pos, end)
    status, pos = read_int(data, pos, end)
    index, pos = read_int(data, pos, end)
    pdu = Pdu(tag, rid, status, index)
    decode_varbinds(data, pos, end, pdu.varbinds)
    return pdu


def decode_community_message(data: bytes) -> tuple[int, bytes, Pdu]:
    """SNMPv1/v2c message -> (version, community, PDU). Raises MalformedPacket."""
    try:
        tag, pos, end = read_tl(data, 0, len(data))
        if tag != SEQUENCE or end != len(data):
            raise MalformedPacket("not an SNMP message")
        version, pos = read_int(data, pos, end)
        community, pos = read_octets(data, pos, end)
        return version, community, decode_pdu(data, pos, end)
    except IndexError:
        raise MalformedPacket("truncated message") from None


def peek_message_id(data: bytes) -> int:
    """The request-id (v1/v2c) or msgID (v3) of a message, to route it cheaply."""
    try:
        tag, pos, end = read_tl(data, 0, len(data))
        if tag != SEQUENCE:
            raise MalformedPacket("not an SNMP message")
        version, pos = read_int(data, pos, end)
        if version == 3:
            tag, pos, _ = read_tl(data, pos, end)
            if tag != SEQUENCE:
                raise MalformedPacket("bad msgGlobalData")
            return read_int(data, pos, end)[0]
        _, pos = read_octets(data, pos, end)
        _, pos, pend = read_tl(data, pos, end)
        return read_int(data, pos, pend)[0]
    except IndexError:
        raise MalformedPacket("truncated message") from None
