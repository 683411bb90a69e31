"""A misbehaving SNMP agent for robustness tests (a test double: net-snmp cannot be made to lie).

The community chooses the behaviour:
  broken - GETs are answered; GETBULK gets a truncated datagram, then a reply with a corrupt varbind.
  fuzz   - every request first gets every truncation of the right reply and random garbage, then
           the right reply.
  public - answered correctly.
  other  - never answers (a silent target).
"""

from __future__ import annotations

import random
import socket
import threading

from exporters.snmp import ber

IFT = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
TABLE: list[tuple[tuple[int, ...], bytes]] = sorted(
    (tuple(int(x) for x in oid.split(".")), value)
    for oid, value in [
        ("1.3.6.1.2.1.1.3.0", ber.enc_uint(4242, ber.TIMETICKS)),
        ("1.3.6.1.2.1.1.5.0", ber.tlv(ber.OCTET_STRING, b"fake-agent")),
        ("1.3.6.1.2.1.2.1.0", ber.enc_int(2)),
        (f"{IFT}.1.1", ber.enc_int(1)),
        (f"{IFT}.1.2", ber.enc_int(2)),
        (f"{IFT}.2.1", ber.tlv(ber.OCTET_STRING, b"eth0")),
        (f"{IFT}.2.2", ber.tlv(ber.OCTET_STRING, b"eth1")),
        (f"{IFT}.8.1", ber.enc_int(1)),
        (f"{IFT}.8.2", ber.enc_int(2)),
        (f"{IFX}.1.1", ber.tlv(ber.OCTET_STRING, b"e0")),
        (f"{IFX}.1.2", ber.tlv(ber.OCTET_STRING, b"e1")),
        (f"{IFX}.6.1", ber.enc_uint(12345678901234, ber.COUNTER64)),
        (f"{IFX}.6.2", ber.enc_uint(5, ber.COUNTER64)),
        ("1.3.6.1.2.1.47.1.1.1.1.2.1", ber.tlv(ber.OCTET_STRING, b"Chassis")),
    ]
)


def enc_oid(t: tuple[int, ...]) -> bytes:
    return ber.oid_to_bytes(".".join(map(str, t)))


def vb(oid: tuple[int, ...], value: bytes) -> bytes:
    return ber.tlv(ber.SEQUENCE, ber.tlv(ber.OBJECT_IDENTIFIER, enc_oid(oid)) + value)


def parse_request(data: bytes) -> tuple[bytes, int, int, int, list[tuple[int, ...]]]:
    _, pos, end = ber.read_tl(data, 0, len(data))
    _, pos = ber.read_int(data, pos, end)
    community, pos = ber.read_octets(data, pos, end)
    tag, pos, end = ber.read_tl(data, pos, end)
    rid, pos = ber.read_int(data, pos, end)
    _, pos = ber.read_int(data, pos, end)
    max_rep, pos = ber.read_int(data, pos, end)
    _, pos, end = ber.read_tl(data, pos, end)
    oids = []
    while pos < end:
        _, s, pos = ber.read_tl(data, pos, end)
        _, os_, oe = ber.read_tl(data, s, pos)
        oids.append(ber.oid_tuple(data[os_:oe]))
    return community, tag, rid, max_rep, oids


def reply(community: bytes, rid: int, varbinds: bytes) -> bytes:
    pdu = ber.tlv(
        ber.RESPONSE, ber.enc_int(rid) + ber.enc_int(0) + ber.enc_int(0) + ber.tlv(ber.SEQUENCE, varbinds)
    )
    return ber.tlv(ber.SEQUENCE, ber.enc_int(1) + ber.tlv(ber.OCTET_STRING, community) + pdu)


def answer(tag: int, max_rep: int, oids: list[tuple[int, ...]]) -> bytes:
    out = b""
    for oid in oids:
        if tag == ber.GET:
            found = [v for o, v in TABLE if o == oid]
            out += vb(oid, found[0] if found else b"\x81\x00")
            continue
        after = [(o, v) for o, v in TABLE if o > oid][: max_rep or 1]
        out += b"".join(vb(o, v) for o, v in after) if after else vb(oid, b"\x82\x00")
    return out


class FakeAgent:
    """Listens on HOST (127.0.0.1 or ::1) at a port the kernel picks and holds (no race)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.target = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self.received = 0  # datagrams, answered or not
        self.sent_garbage = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _run(self) -> None:
        rnd = random.Random(7)
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            self.received += 1
            community, tag, rid, max_rep, oids = parse_request(data)
            good = reply(community, rid, answer(tag, max_rep, oids))
            if community == b"public":
                self.sock.sendto(good, addr)
            elif community == b"broken":
                if tag == ber.GET:
                    self.sock.sendto(good, addr)
                    continue
                self.sock.sendto(good[:-3], addr)
                corrupt = reply(
                    community,
                    rid,
                    ber.tlv(ber.SEQUENCE, ber.tlv(ber.OBJECT_IDENTIFIER, b"\x2b\x06") + b"\x99\x01\x00"),
                )
                self.sock.sendto(corrupt, addr)
                self.sent_garbage += 2
            elif community == b"fuzz":
                for n in range(1, len(good)):
                    self.sock.sendto(good[:n], addr)
                for _ in range(20):
                    self.sock.sendto(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 80))), addr)
                self.sent_garbage += len(good) - 1 + 20
                self.sock.sendto(good, addr)
