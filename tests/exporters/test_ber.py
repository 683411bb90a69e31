"""The BER codec: OID encoding, and bad input only ever raises MalformedPacket."""

from __future__ import annotations

import contextlib
import random

import pytest
from fake_agent import TABLE, reply, vb

from exporters.snmp import ber, usm
from exporters.snmp.usm import UsmUser


@pytest.mark.parametrize(
    "oid", ["1.3.6.1.2.1.2.2.1.10.1", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5.67108873", "2.999.1"]
)
def test_oid_round_trip(oid: str) -> None:
    assert ber.oid_str(ber.oid_to_bytes(oid)) == oid


def test_subtree_prefix_on_bytes_is_exact() -> None:
    root = ber.oid_to_bytes("1.3.6.1.2.1.2")
    assert ber.oid_to_bytes("1.3.6.1.2.1.2.2.1.1.1").startswith(root)
    assert not ber.oid_to_bytes("1.3.6.1.2.1.25.1").startswith(root)
    assert not ber.oid_to_bytes("1.3.6.1.2.1.200").startswith(root)


def test_truncated_and_random_input_raise_only_malformed() -> None:
    good = reply(b"public", 77, b"".join(vb(o, v) for o, v in TABLE))
    assert len(ber.decode_community_message(good)[2].varbinds) == len(TABLE)
    rnd = random.Random(1)
    bad = [good[:n] for n in range(len(good))]
    bad += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(200))) for _ in range(2000)]
    bad += [
        good[:i] + bytes((rnd.randrange(256),)) + good[i + 1 :] for i in range(len(good)) for _ in range(3)
    ]
    for data in bad:
        for fn in (ber.decode_community_message, ber.peek_message_id, lambda d: usm.decode_message(d, None)):
            with contextlib.suppress(ber.MalformedPacket):
                fn(data)


def test_v3_message_authenticates_and_decrypts_itself() -> None:
    user = UsmUser(b"u", "SHA", b"authpass123", "AES", b"privpass123")
    engine = usm.EngineState(b"\x80\x00\x1f\x88\x04engine", 3, 1000)
    pdu = ber.tlv(ber.RESPONSE, ber.enc_int(5) + ber.enc_int(0) + ber.enc_int(0) + ber.tlv(ber.SEQUENCE, b""))
    wire = usm.encode_message(9, user, engine, pdu)
    resp = usm.decode_message(wire, user)
    assert (resp.msg_id, resp.pdu.request_id, resp.engine.boots) == (9, 5, 3)
    tampered = wire[:-1] + bytes((wire[-1] ^ 1,))
    with pytest.raises(usm.AuthFailure):
        usm.decode_message(tampered, user)
    with pytest.raises(usm.AuthFailure):
        usm.decode_message(wire, UsmUser(b"u", "SHA", b"other-password", "AES", b"privpass123"))
