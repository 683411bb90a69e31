"""The codec stand-in against real SIP parts: a Kamailio registrar and a baresip test room in
scratch namespaces this test owns (tests/lab_codec/scratch.py; the lab itself is neither needed
nor touched). The shell runs over a pipe in the codec's namespace, as an SSH login would.

Proves: a bare codec answers with factory settings; setting the SIP URI/proxy registers for real
(Kamailio's location table holds the codec); a proxy nobody answers on reads Failed; a dial
connects to the auto-answer room and RTCP statistics come back both ways in the same session;
after the QoS settings the media and SIP leave marked EF / AF41 / CS3 (counted on arrival at the
core); settings persist across shell sessions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.lab_codec.scratch import CORE_A, DOMAIN, CallPath, Shell, available, call_path, counters, poll

pytestmark = pytest.mark.lab

URI = f"so-noi-vu@{DOMAIN}"  # as RoomOS holds it (and infra render writes it): no scheme


@pytest.fixture(scope="module")
def path() -> Iterator[CallPath]:
    why = available()
    if why:
        pytest.skip(why)
    with call_path("t") as p:
        yield p


@pytest.fixture
def shell(path: CallPath) -> Iterator[Shell]:
    sh = path.shell()
    yield sh
    assert sh.close() == 0


def registered(path: CallPath, user: str) -> bool:
    return f"AoR: {user}" in path.kamcmd("ul.dump")


def test_a_bare_codec_answers_with_factory_settings(shell: Shell) -> None:
    assert shell.banner.endswith("*r Login successful\n\nOK")
    assert shell.value("Conference AutoAnswer Mode", "xConfiguration") == "On"
    assert shell.value("SIP Proxy 1 Address", "xConfiguration") == ""
    assert shell.value("NetworkServices SNMP CommunityName", "xConfiguration") == "public"
    assert shell.value("SIP Registration 1 Status") == "Inactive"


def test_sip_settings_register_for_real_and_a_wrong_proxy_fails(path: CallPath, shell: Shell) -> None:
    settings = (f'SIP URI: "{URI}"', 'SIP DisplayName: "Sở Nội vụ"', "SIP DefaultTransport: TCP",
                f'SIP Proxy 1 Address: "{CORE_A}:5060"')  # fmt: skip
    for line in settings:
        assert shell.ask(f"xConfiguration {line}").endswith("** end\n\nOK")
    poll("the codec reads Registered", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)
    assert registered(path, "so-noi-vu"), "Kamailio's location table does not hold the codec"

    # nothing listens on that port: the TCP connection is refused, the registration fails
    assert shell.ask(f'xConfiguration SIP Proxy 1 Address: "{CORE_A}:5999"').endswith("OK")
    assert shell.value("SIP Registration 1 Status") != "Registered"
    poll("the codec reads Failed", lambda: shell.value("SIP Registration 1 Status") == "Failed", 15)

    assert shell.ask(f'xConfiguration SIP Proxy 1 Address: "{CORE_A}:5060"').endswith("OK")
    poll("registered again", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)


def test_a_dial_connects_media_flows_both_ways_and_carries_the_marks(path: CallPath, shell: Shell) -> None:
    for line in ("Mode: Diffserv", "Diffserv Audio: 46", "Diffserv Video: 34", "Diffserv Signalling: 24"):
        assert shell.ask(f"xConfiguration Network 1 QoS {line}").endswith("OK")
    poll("registered", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)
    seen_before = counters(path.ns("core"), "scratch_seen")

    answer = shell.ask(f'xCommand Dial Number: "testroom@{DOMAIN}"')
    m = re.search(r"^\*r DialResult \(status=OK\): CallId: (\d+)$", answer, re.M)
    assert m, answer
    call = m[1]
    poll("the call is Connected", lambda: shell.value(f"Call {call} Status") == "Connected", 10)
    assert shell.value("SystemUnit State NumberOfActiveCalls") == "1"
    # another session (a deploy verifying registration) meanwhile: the call's events still
    # reach the session that placed it
    other = path.shell()
    assert other.value("SIP Registration 1 Status") == "Registered"
    assert other.value("SystemUnit State NumberOfActiveCalls") == "1"
    assert other.close() == 0

    def both_ways() -> dict[str, str] | None:
        leaves = dict(
            line[3:].split(": ", 1)
            for line in shell.ask(f"xStatus MediaChannels Call {call}").splitlines()
            if line.startswith("*s ")
        )
        channel = f"MediaChannels Call {call} Channel"
        ok = all(int(leaves.get(f"{channel} {n} Netstat Packets", "0")) > 0 for n in (1, 2, 3, 4))
        return leaves if ok else None

    leaves = poll("RTCP statistics for audio and video, both ways", both_ways, 20, every=1.0)
    assert leaves[f"MediaChannels Call {call} Channel 1 Type"] == "Audio"
    assert leaves[f"MediaChannels Call {call} Channel 3 Direction"] == "Outgoing"
    assert int(leaves[f"MediaChannels Call {call} Channel 1 Netstat Loss"]) == 0  # nothing in between
    assert "Netstat Jitter" in " ".join(leaves)

    marks = counters(path.ns("codec"), "infra_codec_qos")
    assert marks["audio"] > 0 and marks["video"] > 0, marks
    seen = counters(path.ns("core"), "scratch_seen")
    assert seen["ef"] > seen_before["ef"] and seen["af41"] > seen_before["af41"], seen
    assert seen["cs3"] > 0, seen

    hangup = shell.ask(f"xCommand Call Disconnect CallId: {call}")
    assert hangup.startswith("*r CallDisconnectResult (status=OK)"), hangup
    assert shell.ask(f"xStatus Call {call}") == "** end\n\nOK"
    assert shell.value("SystemUnit State NumberOfActiveCalls") == "0"


def test_tls_signalling_registers_and_calls(path: CallPath, shell: Shell) -> None:
    """The province's transport: SIP over TLS to the registrar's 5061."""
    assert shell.ask("xConfiguration SIP DefaultTransport: Tls").endswith("OK")
    assert shell.ask(f'xConfiguration SIP Proxy 1 Address: "{CORE_A}:5061"').endswith("OK")
    poll("registered over TLS", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)
    assert f"Socket: tls:{CORE_A}:5061" in path.kamcmd("ul.dump")
    m = re.search(r"CallId: (\d+)", shell.ask(f'xCommand Dial Number: "testroom@{DOMAIN}"'))
    assert m
    poll("the call is Connected", lambda: shell.value(f"Call {m[1]} Status") == "Connected", 10)
    assert shell.ask("xCommand Call DisconnectAll").startswith("*r CallDisconnectAllResult (status=OK)")
    assert shell.value("SystemUnit State NumberOfActiveCalls") == "0"


def test_auto_answer_follows_the_setting_live(path: CallPath, shell: Shell) -> None:
    """The room calls the codec: Off leaves the call ringing, On answers it (baresip's
    answermode changed over its control, no restart)."""
    for line in ("SIP DefaultTransport: TCP", f'SIP Proxy 1 Address: "{CORE_A}:5060"'):
        assert shell.ask(f"xConfiguration {line}").endswith("OK")  # calls *to* a TLS contact: not modelled
    poll("registered", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)
    room = Shell(path.ns("room"), path.root / "room")
    try:
        assert shell.ask("xConfiguration Conference AutoAnswer Mode: Off").endswith("OK")
        m = re.search(r"CallId: (\d+)", room.ask(f'xCommand Dial Number: "{URI}"'))
        assert m
        poll("the codec rings", lambda: room.value(f"Call {m[1]} Status") == "Ringing", 10)
        for _ in range(4):  # auto-answer takes ~50 ms; manual keeps ringing
            time.sleep(0.5)
            assert room.value(f"Call {m[1]} Status") == "Ringing"
        assert room.ask("xCommand Call DisconnectAll").endswith("OK")
        assert shell.ask("xConfiguration Conference AutoAnswer Mode: On").endswith("OK")
        m = re.search(r"CallId: (\d+)", room.ask(f'xCommand Dial Number: "{URI}"'))
        assert m
        poll("the codec answers", lambda: room.value(f"Call {m[1]} Status") == "Connected", 10)
        assert room.ask("xCommand Call DisconnectAll").endswith("OK")
    finally:
        assert room.close() == 0


def test_the_user_agent_survives_a_deploy_from_factory_and_back(path: CallPath, shell: Shell) -> None:
    """What `infra deploy` does to a bare codec and a reset to factory undoes, in the settings'
    order: AutoAnswer (set live on baresip's current user agent), then the SIP settings one by one
    (each replaces the agent). baresip 1.0.0 left its current agent pointing at a freed one after
    such replacements, and the next `/answermode` crashed it (a CI run's codec never registered
    again and was rolled back). A freed pointer does not crash on every use, so what is checked
    after every setting is the cause: baresip's current agent (`>` in its `/reginfo`) is the
    codec's own."""
    ua = path.agents["codec"]
    deployed = ("Conference AutoAnswer Mode: Off", "SIP DefaultTransport: Tls", 'SIP DisplayName: "Sở"',
                f'SIP Proxy 1 Address: "{CORE_A}:5061"', f'SIP URI: "{URI}"')  # fmt: skip
    factory = ("Conference AutoAnswer Mode: On", "SIP DefaultTransport: Auto", 'SIP DisplayName: ""',
               'SIP Proxy 1 Address: ""', 'SIP URI: ""')  # fmt: skip
    for i in range(10):
        for line in (*deployed, *factory):
            assert shell.ask(f"xConfiguration {line}").endswith("OK")
            assert ua.poll() is None, f"baresip died (exit {ua.returncode}) at {line!r} in round {i}"
            agents = path.menu("codec", "/reginfo")
            current = [a.split()[1] for a in agents.splitlines() if a.startswith(">")]
            expected = f"sip:{URI}" if line == factory[0] or line in deployed[-1:] else None
            assert len(current) == 1, f"no current agent after {line!r} in round {i}: {agents!r}"
            if expected:
                assert current == [expected], agents
    for line in deployed:
        assert shell.ask(f"xConfiguration {line}").endswith("OK")
    poll("registered", lambda: shell.value("SIP Registration 1 Status") == "Registered", 15)
    assert ua.poll() is None


def test_settings_persist_across_sessions(path: CallPath) -> None:
    first = path.shell()
    assert first.ask("xConfiguration Conference AutoAnswer Mode: Off").endswith("OK")
    assert first.close() == 0
    second = path.shell()
    try:
        assert second.value("Conference AutoAnswer Mode", "xConfiguration") == "Off"
        assert second.value("SIP URI", "xConfiguration") == URI
        assert second.value("Network 1 QoS Diffserv Video", "xConfiguration") == "34"
        assert "answermode=manual" in (path.codec_state / "baresip" / "accounts").read_text()
    finally:
        assert second.close() == 0
