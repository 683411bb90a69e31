"""How the codec's settings become a baresip 1.0.0 user agent: its config dir and account line,
and how baresip's registration report reads as RoomOS's `SIP Registration 1 Status`.

    write_baresip_config(state_dir, settings, lan_address) -> state_dir/"baresip"

writes `config`, `accounts` and `contacts` for `baresip -f DIR/baresip`, started by the lab in
the endpoint's network namespace: SIP on <lan_address>:5060 (baresip adds TLS on 5061), RTP
on RTP_PORTS, ctrl_tcp on 127.0.0.1:4444 and httpd on 127.0.0.1:8000 (inside the namespace:
calls and their events go over ctrl_tcp, which serves one client at a time; registration reads
and account changes over httpd, which any session can use at once), audio from a sine source
(G.711, a static payload type so nft can tell audio from video), video from fakevideo (VP8),
no sound card, no display, `rtp_tos 0` (DSCP marks are nft's job, see qos.py).

Settings -> account line (one user agent):
    SIP URI                      the address of record (empty: `sip:codec@<lan>`, no registration)
    SIP Proxy 1 Address          outbound proxy = registrar (empty: no registration)
    SIP DefaultTransport         ;transport= of the proxy and the AOR (Auto -> udp)
    NetworkServices SIP Mode Off no registration
    SIP DisplayName              the account's display name
    Conference AutoAnswer Mode   answermode=auto | manual
    Conference Encryption Mode   mediaenc: On -> srtp-mand, BestEffort -> srtp, Off -> none
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from ipaddress import IPv4Address
from pathlib import Path

from infra.lab.codec.state import locked, update_runtime

CTRL_ADDRESS = ("127.0.0.1", 4444)  # ctrl_tcp: commands + call events, one client at a time
HTTP_ADDRESS = ("127.0.0.1", 8000)  # httpd: stateless menu commands, any number of clients
SIP_PORT = 5060
RTP_PORTS = (20000, 20999)
# Refreshed every minute (at 90 %): a cut WAN path reads Failed within ~1.5 min (refresh + SIP's
# 32 s transaction timeout), and the registrar drops the contact within a minute. 60 s is
# Kamailio's default min_expires. After a failure baresip retries after 30-60 s, then 60-120 s...
REGISTER_INTERVAL_S = 60
# SIP timer F (64 x T1): a REGISTER without any answer after this long has failed
REGISTER_GIVE_UP_S = 35.0
# A second user agent that never registers and nobody calls: the menu's current agent while the
# codec's own is replaced (see Agent._reaccount: baresip 1.0.0 must never delete its current one)
STANDBY_AOR = "sip:standby@127.0.0.1"
STANDBY_LINE = f"<{STANDBY_AOR}>;regint=0;answermode=manual"
AUDIO_CODECS = "pcmu,pcma"  # static payload types 0/8: nft marks audio by payload type
VIDEO_CODECS = "vp8"  # dynamic payload type 96+
TRANSPORTS = {"auto": "udp", "udp": "udp", "tcp": "tcp", "tls": "tls"}
MEDIAENC = {"on": "srtp-mand", "besteffort": "srtp", "off": ""}

_CONFIG = """\
# baresip {version} config of a lab codec, written by infra.lab.codec (do not edit: the codec
# shell rewrites it whenever a setting it maps changes)
poll_method		epoll
sip_listen		{lan}:{sip_port}
net_interface		{lan}
call_local_timeout	120
call_max_calls		4
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
audio_level		no
audio_buffer		20-160
video_source		fakevideo,nil
video_display		fakevideo,nil
video_size		320x240
video_bitrate		300000
video_fps		15.00
rtp_tos			0
rtp_ports		{rtp_low}-{rtp_high}
rtcp_mux		no
jitter_buffer_delay	5-10
rtp_stats		yes
module_path		/usr/lib/baresip/modules
module			g711.so
module			ausine.so
module			vp8.so
module			fakevideo.so
module			srtp.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
module_app		httpd.so
module_app		rtcpsummary.so
ctrl_tcp_listen		{ctrl_host}:{ctrl_port}
http_listen		{http_host}:{http_port}
statmode_default	off
"""


def lan_address_of(baresip_dir: Path) -> str | None:
    """The LAN address a written config binds to (its `net_interface`)."""
    try:
        text = (baresip_dir / "config").read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r"^net_interface\s+(\S+)", text, re.M)
    return m[1] if m else None


def proxy_port(address: str, transport: str) -> int:
    """The port a proxy address names, or the transport's default."""
    host, _, port = address.rpartition(":")
    if host and port.isdigit():
        return int(port)
    return SIP_PORT + 1 if transport == "tls" else SIP_PORT


def aor(settings: Mapping[str, str], lan_address: str) -> str:
    uri = settings["SIP URI"].strip()
    if not uri:
        return f"sip:codec@{lan_address}"
    return uri if uri.lower().startswith(("sip:", "sips:")) else f"sip:{uri}"


def registers(settings: Mapping[str, str]) -> bool:
    """Whether the codec tries to register at all (else RoomOS reads Inactive)."""
    return (
        settings["NetworkServices SIP Mode"] == "On"
        and bool(settings["SIP URI"].strip())
        and bool(settings["SIP Proxy 1 Address"].strip())
    )


def account_line(settings: Mapping[str, str], lan_address: str) -> str:
    transport = TRANSPORTS[settings["SIP DefaultTransport"].lower()]
    tp = "" if transport == "udp" else f";transport={transport}"
    name = settings["SIP DisplayName"].strip()
    line = f'"{name}" ' if name else ""
    line += f"<{aor(settings, lan_address)}{tp}>"
    if registers(settings):
        proxy = settings["SIP Proxy 1 Address"].strip()
        line += f';outbound="sip:{proxy};transport={transport}";regint={REGISTER_INTERVAL_S}'
    else:
        line += ";regint=0"
    line += f";answermode={'auto' if settings['Conference AutoAnswer Mode'] == 'On' else 'manual'}"
    enc = MEDIAENC[settings["Conference Encryption Mode"].lower()]
    if enc:
        line += f";mediaenc={enc}"
    return line + f";audio_codecs={AUDIO_CODECS};video_codecs={VIDEO_CODECS}"


def write_baresip_config(
    state_dir: Path, settings: Mapping[str, str], lan_address: IPv4Address | str
) -> Path:
    """Write DIR/baresip/{config,accounts,contacts} for `baresip -f DIR/baresip`; returns that dir.
    Called by the lab before it starts baresip, and by the shell when a mapped setting changes."""
    lan = str(IPv4Address(str(lan_address)))
    out = state_dir / "baresip"
    out.mkdir(parents=True, exist_ok=True)
    config = _CONFIG.format(
        version="1.0.0",
        lan=lan,
        sip_port=SIP_PORT,
        rtp_low=RTP_PORTS[0],
        rtp_high=RTP_PORTS[1],
        ctrl_host=CTRL_ADDRESS[0],
        ctrl_port=CTRL_ADDRESS[1],
        http_host=HTTP_ADDRESS[0],
        http_port=HTTP_ADDRESS[1],
    )
    (out / "config").write_text(config, encoding="utf-8")
    # the codec's agent first: baresip starts with the first account as its current one
    (out / "accounts").write_text(account_line(settings, lan) + "\n" + STANDBY_LINE + "\n", encoding="utf-8")
    contacts = out / "contacts"
    if not contacts.exists():
        contacts.write_text("", encoding="utf-8")
    with locked(state_dir):
        update_runtime(state_dir, account_since=time.time())
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def registration_state(reginfo: str, aor_uri: str, since: float | None, now: float) -> tuple[str, str]:
    """(RoomOS status, reason) from baresip's `reginfo` text for the user agent `aor_uri`.

    baresip prints per UA `OK` (200 from the registrar), `ERR` (an error answer or a transport
    failure), `zzz` (no answer yet) or nothing (no registration configured). `zzz` for longer
    than SIP's transaction timeout means nothing ever answered: RoomOS calls that Failed."""
    for raw in _ANSI.sub("", reginfo).splitlines():
        line = raw.lstrip("> ").strip()
        if not line.lower().startswith(aor_uri.lower()):
            continue
        rest = line[len(aor_uri) :].split()
        word = rest[0] if rest else ""
        if word == "OK":
            return "Registered", ""
        if word == "ERR":
            return "Failed", "the registrar refused the registration or could not be reached"
        if word == "zzz":
            if since is not None and now - since > REGISTER_GIVE_UP_S:
                return "Failed", "no answer from the proxy"
            return "Registering", ""
        return "Inactive", ""
    return "Inactive", "no SIP account"
