"""The `xStatus` tree of the stand-in: what it can say truthfully about itself.

    SystemUnit ProductId / ProductPlatform / Software DisplayName / Software Version
    SystemUnit State NumberOfActiveCalls        baresip `listcalls`
    SIP Proxy 1 Address / Status                the setting; Active once registered
    SIP Registration 1 Reason / Status / URI    baresip `reginfo` (see baresip.registration_state)
    H323 Gatekeeper Status                      Inactive (no H.323 stack in the lab)
    Network 1 IPv4 Address                      the LAN address baresip binds to
    Call <id> ...                               calls placed in this session (calls.py)
    MediaChannels Call <id> Channel <n> ...     their RTCP statistics (calls.py)

Only the subtrees a query names are computed, so `xStatus Call` never waits for baresip's
registration report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from infra.lab.codec.agent import Agent
from infra.lab.codec.calls import call_status, media_status

Leaves = list[tuple[str, str]]

PRODUCT = "Cisco Webex Room Kit"
SOFTWARE = "RoomOS 10.19.5.6 lab stand-in"
PROXY_STATUS = {"Registered": "Active", "Failed": "Timeout", "Registering": "Unknown", "Inactive": "Off"}


def _system_unit(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    return [
        ("SystemUnit ProductId", f'"{PRODUCT}"'),
        ("SystemUnit ProductPlatform", '"Room Kit"'),
        ("SystemUnit Software DisplayName", f'"{SOFTWARE}"'),
        ("SystemUnit Software Version", '"ce10.19.5.6.lab"'),
        ("SystemUnit State NumberOfActiveCalls", str(agent.active_calls())),
    ]


def _sip(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    state, reason = agent.registration(settings)
    proxy = settings["SIP Proxy 1 Address"]
    return [
        ("SIP Proxy 1 Address", f'"{proxy}"'),
        ("SIP Proxy 1 Status", PROXY_STATUS[state] if proxy else "Off"),
        ("SIP Registration 1 Reason", f'"{reason}"'),
        ("SIP Registration 1 Status", state),
        ("SIP Registration 1 URI", f'"{settings["SIP URI"]}"'),
    ]


def _h323(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    return [("H323 Gatekeeper Status", "Inactive")]


def _network(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    return [("Network 1 IPv4 Address", f'"{agent.lan_address or ""}"')]


def _call(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    now = time.monotonic()
    with agent.events_held():
        calls = sorted(agent.calls.live(), key=lambda c: c.call_id)
        return [leaf for c in calls for leaf in call_status(c, now)]


def _media(agent: Agent, settings: Mapping[str, str]) -> Leaves:
    with agent.events_held():
        return [leaf for c in sorted(agent.calls.live(), key=lambda c: c.call_id) for leaf in media_status(c)]


SUBTREES: dict[str, Callable[[Agent, Mapping[str, str]], Leaves]] = {
    "systemunit": _system_unit,
    "sip": _sip,
    "h323": _h323,
    "network": _network,
    "call": _call,
    "mediachannels": _media,
}


def status_leaves(agent: Agent, settings: Mapping[str, str], words: list[str]) -> Leaves:
    """The leaves of the subtrees a query can reach (all of them for a bare `xStatus`)."""
    first = words[0].lower() if words else None
    out: Leaves = []
    for root, leaves in SUBTREES.items():
        if first is None or first == root:
            out += leaves(agent, settings)
    return out


def valid_empty(words: list[str]) -> bool:
    """Paths RoomOS answers with an empty body rather than an error: the call lists (no call, or
    a call id that is not in progress)."""
    w = [x.lower() for x in words]
    if w in (["call"], ["mediachannels"], ["mediachannels", "call"]):
        return True
    if w[:1] == ["call"] and len(w) >= 2 and w[1].isdigit():
        return True
    return w[:2] == ["mediachannels", "call"] and len(w) >= 3 and w[2].isdigit()
