"""pysnmp stays the reference: the fast client returns exactly the varbinds pysnmp returns
(same OIDs, types and values), over v2c and v3 authPriv, and the BER decoder agrees with
pyasn1 on every value type."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pyasn1.codec.ber import encoder as pyasn1_encoder
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto import api
from snmp_testlib import V3_USER, Agents

from exporters.snmp import ber
from exporters.snmp.client import Session, Target, UdpDispatcher
from exporters.snmp.usm import UsmUser

TAGS = {
    "Integer32": ber.INTEGER,
    "Integer": ber.INTEGER,
    "OctetString": ber.OCTET_STRING,
    "ObjectIdentifier": ber.OBJECT_IDENTIFIER,
    "IpAddress": ber.IP_ADDRESS,
    "Counter32": ber.COUNTER32,
    "Gauge32": ber.GAUGE32,
    "Unsigned32": ber.GAUGE32,
    "TimeTicks": ber.TIMETICKS,
    "Counter64": ber.COUNTER64,
    "Opaque": ber.OPAQUE,
}


def normalise_pysnmp(name: Any, value: Any) -> tuple[str, int, Any]:
    kind = type(value).__name__
    tag = TAGS[kind]
    if tag in (ber.OCTET_STRING, ber.IP_ADDRESS, ber.OPAQUE):
        v: Any = bytes(value.asOctets())
    elif tag == ber.OBJECT_IDENTIFIER:
        v = ".".join(map(str, tuple(value)))
    else:
        v = int(value)
    return ".".join(map(str, tuple(name))), tag, v


def normalise_ours(vb: ber.VarBind) -> tuple[str, int, Any]:
    oid, tag, value = vb
    if tag == ber.OBJECT_IDENTIFIER:
        assert isinstance(value, bytes)
        value = ber.oid_str(value)
    return ber.oid_str(oid), tag, value


async def pysnmp_walk(port: int, root: str, v3: bool) -> list[tuple[str, int, Any]]:
    engine = SnmpEngine()
    user, auth, priv = V3_USER
    cred: Any = (
        UsmUserData(user, auth, priv, authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol)
        if v3
        else CommunityData("public", mpModel=1)
    )
    target = await UdpTransportTarget.create(("127.0.0.1", port), timeout=5, retries=1)
    out = []
    async for err, status, _index, vbs in bulk_walk_cmd(
        engine,
        cred,
        target,
        ContextData(),
        0,
        25,
        ObjectType(ObjectIdentity(root)),
        lookupMib=False,
        lexicographicMode=False,
    ):
        assert not err and not status, (err, status)
        out.extend(normalise_pysnmp(n, v) for n, v in vbs)
    engine.close_dispatcher()
    return out


async def our_walk(port: int, root: str, v3: bool) -> list[tuple[str, int, Any]]:
    d = await UdpDispatcher.create()
    user, auth, priv = V3_USER
    usm_user = UsmUser(user.encode(), "SHA", auth.encode(), "AES", priv.encode()) if v3 else None
    target = Target("127.0.0.1", port, 3 if v3 else 2, user=usm_user, timeout=5, retries=1)
    out: list[ber.VarBind] = []
    await Session(d, target, time.monotonic() + 30).walk(ber.oid_to_bytes(root), out)
    assert d.transport is not None
    d.transport.close()
    return [normalise_ours(vb) for vb in out]


@pytest.mark.parametrize("v3", [False, True], ids=["v2c", "v3-authPriv-SHA-AES"])
@pytest.mark.parametrize(
    ("recording", "root"),
    [
        ("linux-net-snmp-slackware.snmprec", "1.3.6.1"),  # every value type the recording has
        ("huawei-vrp-s5720-36c-ei.snmprec", "1.3.6.1.2.1.31"),  # Counter64, hex strings
    ],
)
def test_walk_identical_to_pysnmp(agents: Agents, recording: str, root: str, v3: bool) -> None:
    agent = agents(recording)
    theirs = asyncio.run(pysnmp_walk(agent.port, root, v3))
    ours = asyncio.run(our_walk(agent.port, root, v3))
    assert len(theirs) > 100
    assert ours == theirs
    assert {tag for _, tag, _ in ours} >= {ber.INTEGER, ber.OCTET_STRING, ber.COUNTER32}


def test_decoder_agrees_with_pyasn1_on_every_type() -> None:
    """Encode a response with pysnmp/pyasn1, decode it with ours."""
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    values = [
        ("1.3.6.1.2.1.1.1.0", p.OctetString(b'\x00\xffbinary\n"quoted"')),
        ("1.3.6.1.2.1.1.2.0", p.ObjectIdentifier((1, 3, 6, 1, 4, 1, 2011, 2, 23, 4294967295))),
        ("1.3.6.1.2.1.1.3.0", p.TimeTicks(4294967295)),
        ("1.3.6.1.2.1.2.1.0", p.Integer(-2147483648)),
        ("1.3.6.1.2.1.2.2.1.5.1", p.Gauge32(4294967295)),
        ("1.3.6.1.2.1.2.2.1.10.1", p.Counter32(0)),
        ("1.3.6.1.2.1.31.1.1.1.6.1", p.Counter64(18446744073709551615)),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", p.IpAddress("10.0.0.1")),
        ("1.3.6.1.4.1.2021.10.1.6.1", p.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00")),
        ("1.3.6.1.2.1.1.9.1.2.128", p.Integer(2147483647)),
    ]
    pdu = p.GetResponsePDU()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_request_id(pdu, 4242)
    p.apiPDU.set_varbinds(pdu, [(p.ObjectIdentifier(o), v) for o, v in values])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, "public")
    p.apiMessage.set_pdu(msg, pdu)
    wire = pyasn1_encoder.encode(msg)
    version, community, ours = ber.decode_community_message(wire)
    assert (version, community, ours.request_id) == (1, b"public", 4242)
    assert [normalise_ours(vb) for vb in ours.varbinds] == [
        normalise_pysnmp(tuple(int(x) for x in o.split(".")), v) for o, v in values
    ]
