"""An asyncio SNMP client specialised for scraping: GET and bulk walks, v1/v2c/v3 USM.

One UDP socket per worker process carries every IPv4 target (a second one, opened on first
use, every IPv6 target); replies are routed by request-id (v1/v2c) or msgID (v3). The
receive buffer is raised so that hundreds of concurrent targets cannot overflow it, and a
semaphore bounds the requests in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from . import ber, usm

log = logging.getLogger("exporters.snmp.client")

RCVBUF = 8 * 1024 * 1024
SNDBUF = 1024 * 1024


class SnmpError(Exception):
    """A request failed: timeout, error-status, auth failure, bad reply."""


class SnmpTimeout(SnmpError):
    pass


@dataclass
class ClientStats:
    """Counters the exporter publishes; the client only increments them."""

    malformed: int = 0
    unmatched: int = 0
    retries: int = 0
    auth_failures: int = 0


@dataclass
class PacketCount:
    """Packets one session sent (every send: retries and v3 engine discovery included)."""

    sent: int = 0


class _Forward(asyncio.DatagramProtocol):
    """The IPv6 socket's protocol: hands everything to the dispatcher that owns it."""

    def __init__(self, owner: UdpDispatcher) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.owner.datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        self.owner.error_received(exc)


def _udp_socket(family: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for opt, force, size in (
        (socket.SO_RCVBUF, 33, RCVBUF),  # 33 = SO_RCVBUFFORCE (root may exceed rmem_max)
        (socket.SO_SNDBUF, 32, SNDBUF),  # 32 = SO_SNDBUFFORCE
    ):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, opt, size)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(("0.0.0.0", 0) if family == socket.AF_INET else ("::", 0))
    sock.setblocking(False)
    return sock


class UdpDispatcher(asyncio.DatagramProtocol):
    """The worker's UDP sockets (IPv4, and IPv6 once needed) and the requests waiting for a reply."""

    def __init__(self, max_in_flight: int = 512) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.transport6: asyncio.DatagramTransport | None = None
        self._opening6: asyncio.Lock | None = None
        self.pending: dict[int, tuple[asyncio.Future[bytes], tuple[str, int]]] = {}
        self.stats = ClientStats()
        self.in_flight = asyncio.Semaphore(max_in_flight)
        self._next_id = random.randrange(1, 1 << 30)
        self.on_malformed: Callable[[str], None] | None = None

    @classmethod
    async def create(cls, max_in_flight: int = 512) -> UdpDispatcher:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(
            lambda: cls(max_in_flight), sock=_udp_socket(socket.AF_INET)
        )
        return proto

    async def _ipv6(self) -> asyncio.DatagramTransport:
        """The IPv6 socket, opened on the first IPv6 target (a host without IPv6 never needs one)."""
        if self._opening6 is None:
            self._opening6 = asyncio.Lock()
        async with self._opening6:
            if self.transport6 is None:
                try:
                    sock = _udp_socket(socket.AF_INET6)
                except OSError as exc:
                    raise SnmpError(f"cannot open an IPv6 UDP socket: {exc.strerror}") from None
                loop = asyncio.get_running_loop()
                transport, _ = await loop.create_datagram_endpoint(lambda: _Forward(self), sock=sock)
                self.transport6 = transport
        return self.transport6

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        try:
            mid = ber.peek_message_id(data)
        except ber.MalformedPacket as exc:
            self.count_malformed(f"{exc} from {addr[0]}")
            return
        entry = self.pending.get(mid)
        if entry is None or entry[1][0] != addr[0] or entry[1][1] != addr[1]:
            self.stats.unmatched += 1
            return
        fut = entry[0]
        if not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable etc.
        log.debug("udp error: %s", exc)

    def count_malformed(self, why: str) -> None:
        self.stats.malformed += 1
        if self.on_malformed:
            self.on_malformed(why)
        log.warning("malformed SNMP reply: %s", why)

    def new_id(self) -> int:
        self._next_id = self._next_id + 1 if self._next_id < 0x7FFFFFFF else 1
        return self._next_id

    async def request(
        self,
        addr: tuple[str, int],
        build: Callable[[int], bytes],
        timeout: float,
        retries: int,
        deadline: float,
        count: PacketCount | None = None,
    ) -> bytes:
        """Send build(id) and wait for the reply, retrying with fresh ids; bounded by deadline.
        Every packet sent is counted in COUNT, answered or not."""
        transport = self.transport
        if ":" in addr[0]:
            transport = self.transport6 or await self._ipv6()
        assert transport is not None
        loop = asyncio.get_running_loop()
        async with self.in_flight:
            for attempt in range(retries + 1):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                mid = self.new_id()
                fut: asyncio.Future[bytes] = loop.create_future()
                self.pending[mid] = (fut, addr)
                try:
                    transport.sendto(build(mid), addr)
                    if count is not None:
                        count.sent += 1
                    return await asyncio.wait_for(fut, min(timeout, left))
                except TimeoutError:
                    if attempt < retries:
                        self.stats.retries += 1
                finally:
                    self.pending.pop(mid, None)
        raise SnmpTimeout(f"no reply from {addr[0]}:{addr[1]} (timeout {timeout:g}s, {retries} retries)")


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    version: int  # 1, 2 or 3
    community: bytes = b"public"
    user: usm.UsmUser | None = None
    timeout: float = 5.0
    retries: int = 3
    max_repetitions: int = 25


class Session:
    """Requests to one target within one scrape (v3: after engine discovery)."""

    def __init__(self, dispatcher: UdpDispatcher, target: Target, deadline: float) -> None:
        self.d = dispatcher
        self.t = target
        self.addr = (target.host, target.port)
        self.deadline = deadline
        self.engine: usm.EngineState | None = None
        self.engine_at = 0.0
        self.pdus_sent = 0  # PDUs answered
        self.packets = PacketCount()  # packets sent, answered or not

    async def _exchange(self, pdu_type: int, oids: list[bytes], max_rep: int = 0) -> ber.Pdu:
        t = self.t
        if t.version == 3:
            return await self._exchange_v3(pdu_type, oids, max_rep)
        version = 0 if t.version == 1 else 1
        raw = await self.d.request(
            self.addr,
            lambda rid: ber.enc_community_message(
                version, t.community, ber.enc_pdu(pdu_type, rid, oids, 0, max_rep)
            ),
            t.timeout,
            t.retries,
            self.deadline,
            self.packets,
        )
        self.pdus_sent += 1
        try:
            _, _, pdu = ber.decode_community_message(raw)
        except ber.MalformedPacket as exc:
            self.d.count_malformed(f"{exc} from {t.host}:{t.port}")
            raise SnmpError(f"malformed reply: {exc}") from None
        if pdu.pdu_type != ber.RESPONSE:
            raise SnmpError(f"unexpected PDU type 0x{pdu.pdu_type:02x}")
        return pdu

    async def discover(self) -> None:
        raw = await self.d.request(
            self.addr,
            lambda mid: usm.encode_message(mid, None, None, ber.enc_pdu(ber.GET, mid, [])),
            self.t.timeout,
            self.t.retries,
            self.deadline,
            self.packets,
        )
        resp = self._decode_v3(raw, None)
        if not resp.engine.engine_id:
            raise SnmpError("engine discovery: empty engine ID")
        self.engine = resp.engine
        self.engine_at = time.monotonic()

    def _decode_v3(self, raw: bytes, user: usm.UsmUser | None) -> usm.V3Response:
        try:
            return usm.decode_message(raw, user)
        except usm.AuthFailure as exc:
            self.d.stats.auth_failures += 1
            raise SnmpError(f"SNMPv3 authentication failed: {exc}") from None
        except ber.MalformedPacket as exc:
            self.d.count_malformed(f"{exc} from {self.t.host}:{self.t.port}")
            raise SnmpError(f"malformed reply: {exc}") from None

    async def _exchange_v3(
        self, pdu_type: int, oids: list[bytes], max_rep: int, again: bool = True
    ) -> ber.Pdu:
        user = self.t.user
        assert user is not None
        if self.engine is None:
            await self.discover()
        eng = self.engine
        assert eng is not None

        def build(mid: int) -> bytes:
            now = usm.EngineState(eng.engine_id, eng.boots, eng.time + int(time.monotonic() - self.engine_at))
            return usm.encode_message(mid, user, now, ber.enc_pdu(pdu_type, mid, oids, 0, max_rep))

        raw = await self.d.request(
            self.addr, build, self.t.timeout, self.t.retries, self.deadline, self.packets
        )
        self.pdus_sent += 1
        resp = self._decode_v3(raw, user)
        pdu = resp.pdu
        if pdu.pdu_type == ber.REPORT:
            oid = ber.oid_str(pdu.varbinds[0][0]) if pdu.varbinds else "?"
            if again and oid.startswith("1.3.6.1.6.3.15.1.1.2"):  # usmStatsNotInTimeWindows
                self.engine, self.engine_at = resp.engine, time.monotonic()
                return await self._exchange_v3(pdu_type, oids, max_rep, again=False)
            names = {
                "1.3.6.1.6.3.15.1.1.3": "unknown user name",
                "1.3.6.1.6.3.15.1.1.5": "wrong digest (auth password)",
                "1.3.6.1.6.3.15.1.1.6": "decryption error (privacy password)",
                "1.3.6.1.6.3.15.1.1.1": "unsupported security level",
            }
            why = next((v for k, v in names.items() if oid.startswith(k)), f"report {oid}")
            self.d.stats.auth_failures += 1
            raise SnmpError(f"SNMPv3: {why}")
        return pdu

    async def get(self, oids: list[bytes]) -> list[ber.VarBind]:
        """GET in chunks; skips noSuchObject/noSuchInstance (and v1 noSuchName)."""
        out: list[ber.VarBind] = []
        chunk = 1 if self.t.version == 1 else max(1, self.t.max_repetitions)
        for i in range(0, len(oids), chunk):
            part = oids[i : i + chunk]
            pdu = await self._exchange(ber.GET, part)
            if pdu.error_status == 2 and self.t.version == 1:  # noSuchName
                continue
            if pdu.error_status:
                raise SnmpError(f"GET error-status {pdu.error_status} at index {pdu.error_index}")
            out.extend(
                vb for vb in pdu.varbinds if vb[1] != ber.NO_SUCH_OBJECT and vb[1] != ber.NO_SUCH_INSTANCE
            )
        return out

    async def walk(self, root: bytes, out: list[ber.VarBind]) -> None:
        """Append every varbind strictly under root (GETBULK, or GETNEXT for v1)."""
        cur = root
        last: tuple[int, ...] = ber.oid_tuple(root)
        v1 = self.t.version == 1
        while True:
            if v1:
                pdu = await self._exchange(ber.GETNEXT, [cur])
                if pdu.error_status == 2:
                    return
            else:
                pdu = await self._exchange(ber.GETBULK, [cur], self.t.max_repetitions)
            if pdu.error_status:
                raise SnmpError(f"walk error-status {pdu.error_status} at index {pdu.error_index}")
            vbs = pdu.varbinds
            if not vbs:
                return
            tail = vbs[-1]
            if tail[1] == ber.END_OF_MIB_VIEW or not tail[0].startswith(root):
                # the walk ends in this reply: keep what is still in the subtree
                for i, vb in enumerate(vbs):
                    if vb[1] == ber.END_OF_MIB_VIEW or not vb[0].startswith(root):
                        out.extend(vbs[:i])
                        return
            out.extend(vbs)
            cur = vbs[-1][0]
            now = ber.oid_tuple(cur)
            if now <= last:
                raise SnmpError(f"OID not increasing: {ber.oid_str(cur)}")
            last = now


async def resolve_host(host: str) -> str:
    """Targets are given by name or address; names are resolved once per scrape (IPv4 first).
    Returns the canonical text of the address, as the kernel reports a reply's source."""
    try:
        socket.inet_pton(socket.AF_INET, host)
        return host
    except OSError:
        pass
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, host))
    except OSError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise SnmpError(f"cannot resolve {host!r}: {exc}") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0])
