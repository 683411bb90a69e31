"""`Network 1 QoS ...` as nft marking rules in the codec's network namespace.

baresip 1.0.0 has a single `rtp_tos` for audio and video and none for SIP, so the marks are
set on the way out by one nft table, `inet infra_codec_qos`, telling the media apart by the RTP
payload type (the 7 bits after the marker bit, 73 bits into the UDP datagram): audio is G.711
(static types 0/8, and 9 for G.722), video is VP8 on a dynamic type (96-127). RTCP (types
200-204) is left unmarked. Signalling is SIP to or from the proxy's port (and 5060/5061).
Each rule counts what it marked (`nft list table inet infra_codec_qos`).

QoS Mode Off removes the table: packets leave with DSCP 0, as baresip sends them.
Needs CAP_NET_ADMIN in the namespace (the lab runs the codec shell as root there), and is
only done where the codec's LAN address is local (agent.holds_address).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from infra.lab.codec.baresip import RTP_PORTS, SIP_PORT, TRANSPORTS, proxy_port

TABLE = "infra_codec_qos"
AUDIO_TYPES = "{ 0, 8, 9 }"
VIDEO_TYPES = "96-127"


def ruleset(settings: Mapping[str, str]) -> str:
    """The nft script that makes the namespace's marks match the settings (atomic: one
    transaction replaces the whole table)."""
    head = f"table inet {TABLE}\ndelete table inet {TABLE}\n"
    if settings["Network 1 QoS Mode"] != "Diffserv":
        return head
    audio = int(settings["Network 1 QoS Diffserv Audio"])
    video = int(settings["Network 1 QoS Diffserv Video"])
    signalling = int(settings["Network 1 QoS Diffserv Signalling"])
    transport = TRANSPORTS[settings["SIP DefaultTransport"].lower()]
    ports = {SIP_PORT, SIP_PORT + 1}
    proxy = settings["SIP Proxy 1 Address"].strip()
    if proxy:
        ports.add(proxy_port(proxy, transport))
    sip = ", ".join(str(p) for p in sorted(ports))
    rtp = f"{RTP_PORTS[0]}-{RTP_PORTS[1]}"
    return head + (
        f"table inet {TABLE} {{\n"
        "\tchain out {\n"
        "\t\ttype filter hook output priority mangle; policy accept;\n"
        f'\t\tudp sport {rtp} @th,73,7 {AUDIO_TYPES} ip dscp set {audio} counter comment "audio"\n'
        f'\t\tudp sport {rtp} @th,73,7 {VIDEO_TYPES} ip dscp set {video} counter comment "video"\n'
        f"\t\tmeta l4proto {{ tcp, udp }} th dport {{ {sip} }} ip dscp set {signalling} counter "
        'comment "signalling"\n'
        f"\t\tmeta l4proto {{ tcp, udp }} th sport {{ {sip} }} ip dscp set {signalling} counter "
        'comment "signalling"\n'
        "\t}\n"
        "}\n"
    )


def apply(settings: Mapping[str, str]) -> str | None:
    """Load the ruleset in the current network namespace; None, or why it failed."""
    try:
        done = subprocess.run(
            ["nft", "-f", "-"], input=ruleset(settings), capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"nft: {e}"
    if done.returncode != 0:
        return f"nft: {done.stderr.strip() or done.returncode}"
    return None
