"""SNMPv3 User-based Security Model (RFC 3414, RFC 3826, RFC 7860): keys, auth, privacy.

Key localisation is cached per (protocol, password, engine ID): it hashes 1 MiB.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore[assignment]

from . import ber

# auth protocol -> (hashlib name, MAC length in bytes)
AUTH_PROTOCOLS: dict[str, tuple[str, int]] = {
    "MD5": ("md5", 12),
    "SHA": ("sha1", 12),
    "SHA224": ("sha224", 16),
    "SHA256": ("sha256", 24),
    "SHA384": ("sha384", 32),
    "SHA512": ("sha512", 48),
}
# privacy protocol -> (key length, key extension: "" | "blumenthal" | "reeder")
PRIV_PROTOCOLS: dict[str, tuple[int, str]] = {
    "AES": (16, ""),
    "AES192": (24, "blumenthal"),
    "AES256": (32, "blumenthal"),
    "AES192C": (24, "reeder"),
    "AES256C": (32, "reeder"),
}

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04


@lru_cache(maxsize=256)
def password_to_key(hash_name: str, password: bytes) -> bytes:
    if not password:
        raise ValueError("empty SNMPv3 password")
    reps = 1048576 // len(password) + 1
    return hashlib.new(hash_name, (password * reps)[:1048576]).digest()


@lru_cache(maxsize=4096)
def localized_key(hash_name: str, password: bytes, engine_id: bytes) -> bytes:
    ku = password_to_key(hash_name, password)
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


@lru_cache(maxsize=4096)
def priv_key(auth_proto: str, priv_proto: str, password: bytes, engine_id: bytes) -> bytes:
    hash_name = AUTH_PROTOCOLS[auth_proto][0]
    size, extension = PRIV_PROTOCOLS[priv_proto]
    key = localized_key(hash_name, password, engine_id)
    while len(key) < size:
        if extension == "reeder":
            key += localized_key(hash_name, key, engine_id)
        else:  # blumenthal
            key += hashlib.new(hash_name, key).digest()
    return key[:size]


@dataclass(frozen=True)
class UsmUser:
    username: bytes
    auth_protocol: str | None  # None = noAuth
    auth_password: bytes
    priv_protocol: str | None  # None = noPriv
    priv_password: bytes
    context_name: bytes = b""

    @property
    def flags(self) -> int:
        return (FLAG_AUTH if self.auth_protocol else 0) | (FLAG_PRIV if self.priv_protocol else 0)


@dataclass
class EngineState:
    engine_id: bytes
    boots: int
    time: int


_salt = int.from_bytes(os.urandom(8), "big")


def _next_salt() -> bytes:
    global _salt
    _salt = (_salt + 1) & 0xFFFFFFFFFFFFFFFF
    return _salt.to_bytes(8, "big")


def _aes(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), CFB(iv))
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def encode_message(msg_id: int, user: UsmUser | None, engine: EngineState | None, pdu: bytes) -> bytes:
    """A v3 message. user=None / engine=None gives the engine-discovery probe."""
    flags = FLAG_REPORTABLE | (user.flags if user and engine else 0)
    glob = ber.tlv(
        ber.SEQUENCE,
        ber.enc_int(msg_id)
        + ber.enc_int(65507)
        + ber.tlv(ber.OCTET_STRING, bytes((flags,)))
        + ber.enc_int(3),
    )
    engine_id = engine.engine_id if engine else b""
    scoped = ber.tlv(
        ber.SEQUENCE,
        ber.tlv(ber.OCTET_STRING, engine_id)
        + ber.tlv(ber.OCTET_STRING, user.context_name if user else b"")
        + pdu,
    )
    if not (user and engine):
        sec = ber.tlv(
            ber.SEQUENCE,
            ber.tlv(ber.OCTET_STRING, b"") + ber.enc_int(0) + ber.enc_int(0) + b"\x04\x00\x04\x00\x04\x00",
        )
        return ber.tlv(ber.SEQUENCE, ber.enc_int(3) + glob + ber.tlv(ber.OCTET_STRING, sec) + scoped)
    priv_params = b""
    if user.priv_protocol and user.auth_protocol:
        salt = _next_salt()
        key = priv_key(user.auth_protocol, user.priv_protocol, user.priv_password, engine.engine_id)
        iv = engine.boots.to_bytes(4, "big") + engine.time.to_bytes(4, "big") + salt
        scoped = ber.tlv(ber.OCTET_STRING, _aes(key, iv, scoped, encrypt=True))
        priv_params = salt
    mac_len = AUTH_PROTOCOLS[user.auth_protocol][1] if user.auth_protocol else 0
    head = (
        ber.tlv(ber.OCTET_STRING, engine.engine_id)
        + ber.enc_int(engine.boots)
        + ber.enc_int(engine.time)
        + ber.tlv(ber.OCTET_STRING, user.username)
        + bytes((ber.OCTET_STRING, mac_len))
    )
    tail = ber.tlv(ber.OCTET_STRING, priv_params)
    sec_seq = ber.tlv(ber.SEQUENCE, head + bytes(mac_len) + tail)
    sec = ber.tlv(ber.OCTET_STRING, sec_seq)
    body = ber.enc_int(3) + glob + sec + scoped
    msg = ber.tlv(ber.SEQUENCE, body)
    if not user.auth_protocol:
        return msg
    # offset of the MAC placeholder: outer header, version, global data, the two sec headers, head
    mac_at = (
        (len(msg) - len(body))
        + 3
        + len(glob)
        + (len(sec) - len(sec_seq))
        + (len(sec_seq) - len(head) - mac_len - len(tail))
        + len(head)
    )
    hash_name, _ = AUTH_PROTOCOLS[user.auth_protocol]
    key = localized_key(hash_name, user.auth_password, engine.engine_id)
    mac = hmac.new(key, msg, hash_name).digest()[:mac_len]
    return msg[:mac_at] + mac + msg[mac_at + mac_len :]


@dataclass
class V3Response:
    msg_id: int
    flags: int
    engine: EngineState
    username: bytes
    pdu: ber.Pdu


class AuthFailure(ber.MalformedPacket):
    """Wrong MAC or undecryptable payload (bad credentials or tampered packet)."""


def decode_message(data: bytes, user: UsmUser | None) -> V3Response:
    """Parse, authenticate and decrypt a v3 message. Raises MalformedPacket / AuthFailure."""
    try:
        return _decode(data, user)
    except IndexError:
        raise ber.MalformedPacket("truncated message") from None


def _decode(data: bytes, user: UsmUser | None) -> V3Response:
    read_tl, read_int, read_octets = ber.read_tl, ber.read_int, ber.read_octets
    tag, pos, end = read_tl(data, 0, len(data))
    if tag != ber.SEQUENCE or end != len(data):
        raise ber.MalformedPacket("not an SNMP message")
    version, pos = read_int(data, pos, end)
    if version != 3:
        raise ber.MalformedPacket("not an SNMPv3 message")
    tag, gpos, pos = read_tl(data, pos, end)
    msg_id, gpos = read_int(data, gpos, pos)
    _, gpos = read_int(data, gpos, pos)
    flag_bytes, gpos = read_octets(data, gpos, pos)
    flags = flag_bytes[0] if flag_bytes else 0
    tag, spos, pos = read_tl(data, pos, end)  # msgSecurityParameters OCTET STRING
    tag, spos, send = read_tl(data, spos, pos)
    engine_id, spos = read_octets(data, spos, send)
    boots, spos = read_int(data, spos, send)
    etime, spos = read_int(data, spos, send)
    username, spos = read_octets(data, spos, send)
    _, mac_start, mac_end = read_tl(data, spos, send)
    spos = mac_end
    salt, spos = read_octets(data, spos, send)
    engine = EngineState(engine_id, boots, etime)
    if flags & FLAG_AUTH:
        if not (user and user.auth_protocol):
            raise AuthFailure("authenticated reply to an unauthenticated request")
        hash_name, mac_len = AUTH_PROTOCOLS[user.auth_protocol]
        if mac_end - mac_start != mac_len:
            raise AuthFailure("bad MAC length")
        key = localized_key(hash_name, user.auth_password, engine_id)
        zeroed = data[:mac_start] + bytes(mac_len) + data[mac_end:]
        if not hmac.compare_digest(
            hmac.new(key, zeroed, hash_name).digest()[:mac_len], data[mac_start:mac_end]
        ):
            raise AuthFailure("wrong MAC (wrong auth password?)")
    if flags & FLAG_PRIV:
        if not (user and user.priv_protocol and user.auth_protocol):
            raise AuthFailure("encrypted reply to an unencrypted request")
        cipher_text, _ = read_octets(data, pos, end)
        key = priv_key(user.auth_protocol, user.priv_protocol, user.priv_password, engine_id)
        iv = boots.to_bytes(4, "big") + etime.to_bytes(4, "big") + salt
        scoped = _aes(key, iv, cipher_text, encrypt=False)
        sdata, spos, send = scoped, 0, len(scoped)
    else:
        sdata, spos, send = data, pos, end
    tag, spos, sc_end = read_tl(sdata, spos, send)
    if tag != ber.SEQUENCE:
        raise AuthFailure("bad scoped PDU (wrong privacy password?)")
    _, spos = read_octets(sdata, spos, sc_end)
    _, spos = read_octets(sdata, spos, sc_end)
    return V3Response(msg_id, flags, engine, username, ber.decode_pdu(sdata, spos, sc_end))
