"""The codec stand-in's xAPI answers, settings and mappings, without a user agent or the lab:
`Codec(state_dir, None, None)` has no baresip behind it (no SIP stack, no nft)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.inventory import load_inventory
from infra.lab.codec import baresip, qos, xapi
from infra.lab.codec.agent import holds_address
from infra.lab.codec.calls import Call, Calls, media_status
from infra.lab.codec.schema import SETTINGS, factory
from infra.lab.codec.shell import Codec
from infra.lab.codec.state import StateError, load_settings
from infra.render import render_host
from tests.conftest import INVENTORY

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def codec(tmp_path: Path) -> Codec:
    return Codec(tmp_path / "codec", None, None)


def ask(codec: Codec, line: str) -> str:
    answer, end = codec.handle(line)
    assert not end and answer is not None
    return answer


def test_a_full_listing_is_every_setting_then_end_and_ok(codec: Codec) -> None:
    lines = ask(codec, "xConfiguration").splitlines()
    assert lines[-3:] == ["** end", "", "OK"]
    assert len(lines) == len(SETTINGS) + 3
    assert all(line.startswith("*c xConfiguration ") for line in lines[:-3])
    assert "*c xConfiguration Conference AutoAnswer Mode: On" in lines
    assert '*c xConfiguration SIP Proxy 1 Address: ""' in lines  # strings quoted
    assert "*c xConfiguration Network 1 QoS Diffserv Audio: 0" in lines  # numbers bare


def test_a_prefix_lists_its_subtree_in_roomos_order(codec: Codec) -> None:
    assert ask(codec, "xConfiguration sip proxy") == (
        '*c xConfiguration SIP Proxy 1 Address: ""\n*c xConfiguration SIP Proxy 2 Address: ""\n'
        '*c xConfiguration SIP Proxy 3 Address: ""\n*c xConfiguration SIP Proxy 4 Address: ""\n** end\n\nOK'
    )


def test_a_set_value_reads_back_in_roomos_spelling_and_persists(codec: Codec) -> None:
    assert ask(codec, "xconfiguration conference autoanswer mode: off") == "** end\n\nOK"
    assert ask(codec, 'xConfiguration SIP Proxy 1 Address: "10.94.20.16"') == "** end\n\nOK"
    assert ask(codec, "xConfiguration SIP DefaultTransport: tls") == "** end\n\nOK"
    assert ask(codec, "xConfiguration Conference AutoAnswer Mode").startswith(
        "*c xConfiguration Conference AutoAnswer Mode: Off\n"
    )
    assert '"10.94.20.16"' in ask(codec, "xConfiguration SIP Proxy 1 Address")
    stored = json.loads((codec.state_dir / "xconfig.json").read_text())
    assert stored["SIP DefaultTransport"] == "Tls" and len(stored) == len(SETTINGS)
    assert Codec(codec.state_dir, None, None).handle("xConfiguration SIP DefaultTransport")[0] == (
        "*c xConfiguration SIP DefaultTransport: Tls\n** end\n\nOK"
    )


@pytest.mark.parametrize(
    ("line", "reason", "xpath"),
    [
        ("xConfiguration Conference AutoAnswer Mode: Maybe", "No match on enum: Maybe", "AutoAnswer/Mode"),
        ("xConfiguration Network 1 QoS Diffserv Audio: 64", "Value out of range (0..63): 64", None),
        ("xConfiguration Security Session InactivityTimeout: soon", "Invalid integer value: soon", None),
        ("xConfiguration Foo Bar: 1", xapi.NO_MATCH, "Configuration/Foo/Bar"),
        ("xConfiguration Foo", xapi.NO_MATCH, "Configuration/Foo"),
    ],
)
def test_a_refused_setting_answers_error_with_roomos_reason(
    codec: Codec, line: str, reason: str, xpath: str | None
) -> None:
    answer = ask(codec, line)
    assert answer.endswith("** end\n\nERROR")
    assert f"*r Configuration (status=Error): Reason: {reason}" in answer
    if xpath:
        assert xpath in answer
    assert load_settings(codec.state_dir) == factory()  # nothing changed


def test_status_without_a_user_agent(codec: Codec) -> None:
    assert "*s SIP Registration 1 Status: Inactive" in ask(codec, "xStatus SIP")
    assert ask(codec, "xStatus Call") == "** end\n\nOK"
    assert ask(codec, "xStatus Call 7 Status") == "** end\n\nOK"  # no such call: empty, like RoomOS
    assert ask(codec, "xStatus MediaChannels Call 7") == "** end\n\nOK"
    assert ask(codec, "xStatus Foo").endswith("ERROR")
    assert ask(codec, "xStatus SIP Foo").endswith("ERROR")
    for line in ('SIP URI: "sip:a@vc.example"', 'SIP Proxy 1 Address: "10.0.0.1"'):
        ask(codec, f"xConfiguration {line}")
    # a codec that should register but has no user agent to ask
    assert "*s SIP Registration 1 Status: Failed" in ask(codec, "xStatus SIP Registration 1")


def test_commands_without_a_user_agent_answer_error(codec: Codec) -> None:
    answer = ask(codec, 'xCommand Dial Number: "sip:testroom@vc.example"')
    assert answer.startswith("*r DialResult (status=Error): Reason: ") and answer.endswith("ERROR")
    assert ask(codec, "xCommand Dial").startswith("*r DialResult (status=Error): Reason: Invalid or missing")
    assert "No active call" in ask(codec, "xCommand Call Disconnect CallId: 3")
    assert "Unknown command" in ask(codec, "xCommand Camera Ramp CameraId: 1")


def test_session_words(codec: Codec) -> None:
    assert codec.handle("") == (None, False)
    assert codec.handle("   ") == (None, False)
    assert ask(codec, "hello") == "Command not recognized."
    assert ask(codec, "xPreferences outputmode terminal") == "OK"
    assert ask(codec, "xPreferences outputmode json").endswith("ERROR")
    assert ask(codec, "echo off") == "OK"
    assert ask(codec, "xFeedback Register /Status/Call").endswith("ERROR")
    assert codec.handle("bye") == (None, True)
    assert codec.handle("exit") == (None, True)
    assert codec.banner().endswith("*r Login successful\n\nOK")


def test_xcommand_parameters() -> None:
    line = xapi.parse('xCommand Dial Number: "sip:a b@x" CallRate: 1920 Protocol:Sip')
    assert line.words == ["Dial"]
    assert line.params == {"number": "sip:a b@x", "callrate": "1920", "protocol": "Sip"}
    assert xapi.parse("xCommand Call DisconnectAll").words == ["Call", "DisconnectAll"]
    assert xapi.parse("xCommand Dial Number: x junk").bad_params == "junk"


def test_account_line_follows_the_settings() -> None:
    s = factory()
    assert baresip.account_line(s, "10.64.0.10") == (
        "<sip:codec@10.64.0.10>;regint=0;answermode=auto;mediaenc=srtp;audio_codecs=pcmu,pcma;video_codecs=vp8"
    )
    s.update({"SIP URI": "sip:so-noi-vu@vc.example", "SIP Proxy 1 Address": "10.94.20.16"})
    s.update({"SIP DefaultTransport": "Tls", "Conference AutoAnswer Mode": "Off"})
    s.update({"Conference Encryption Mode": "On"})
    assert baresip.account_line(s, "10.64.0.10") == (
        '<sip:so-noi-vu@vc.example;transport=tls>;outbound="sip:10.94.20.16;transport=tls";regint=60;'
        "answermode=manual;mediaenc=srtp-mand;audio_codecs=pcmu,pcma;video_codecs=vp8"
    )
    s["NetworkServices SIP Mode"] = "Off"
    assert ";regint=0;" in baresip.account_line(s, "10.64.0.10")


def test_write_baresip_config(tmp_path: Path) -> None:
    out = baresip.write_baresip_config(tmp_path, factory(), "10.64.0.10")
    config = (out / "config").read_text()
    assert "sip_listen\t\t10.64.0.10:5060" in config and "ctrl_tcp_listen\t\t127.0.0.1:4444" in config
    assert "rtp_tos\t\t\t0" in config  # marks are nft's
    assert (out / "accounts").read_text().startswith("<sip:codec@10.64.0.10>")
    assert baresip.lan_address_of(out) == "10.64.0.10"
    with pytest.raises(ValueError):
        baresip.write_baresip_config(tmp_path, factory(), "not-an-address")


REGINFO = (
    "\n--- User Agents (1) ---\n> sip:so-noi-vu@vc.example                 \x1b[32mOK \x1b[;m "
    " kamailio (5.6.3 (x86_64/linux)) Expires 600s\n"
)


@pytest.mark.parametrize(
    ("text", "since_ago", "state"),
    [
        (REGINFO, 1, "Registered"),
        (REGINFO.replace("\x1b[32mOK ", "\x1b[31mERR"), 1, "Failed"),
        (REGINFO.replace("\x1b[32mOK ", "\x1b[33mzzz"), 1, "Registering"),
        (REGINFO.replace("\x1b[32mOK ", "\x1b[33mzzz"), 60, "Failed"),  # past SIP's timer F
        ("\n--- User Agents (1) ---\n> sip:so-noi-vu@vc.example   \n", 1, "Inactive"),
        ("\n--- User Agents (0) ---\n", 1, "Inactive"),
    ],
)
def test_registration_state_from_reginfo(text: str, since_ago: float, state: str) -> None:
    now = time.time()
    assert baresip.registration_state(text, "sip:so-noi-vu@vc.example", now - since_ago, now)[0] == state


def test_qos_ruleset() -> None:
    s = factory()
    assert "ip dscp" not in qos.ruleset(s)  # QoS Mode Off: the table is only deleted
    s.update({"Network 1 QoS Mode": "Diffserv", "Network 1 QoS Diffserv Audio": "46"})
    s.update({"Network 1 QoS Diffserv Video": "34", "Network 1 QoS Diffserv Signalling": "24"})
    s.update({"SIP Proxy 1 Address": "10.94.20.16:5070"})
    rules = qos.ruleset(s)
    assert rules.startswith("table inet infra_codec_qos\ndelete table inet infra_codec_qos\n")
    assert "@th,73,7 { 0, 8, 9 } ip dscp set 46" in rules
    assert "@th,73,7 96-127 ip dscp set 34" in rules
    assert "th dport { 5060, 5061, 5070 } ip dscp set 24" in rules


def test_calls_follow_events_and_ignore_calls_already_running() -> None:
    calls = Calls()
    t0 = 100.0
    old = {"class": "call", "type": "CALL_RTCP", "id": "old", "direction": "outgoing", "_t": t0 + 1}
    calls.on_event(old)  # a call of an earlier session reports while we dial
    call = Call(5, "sip:testroom@vc.example")
    calls.by_id[5] = call
    assert not calls.claim(call, t0)
    ev = {"class": "call", "id": "new", "direction": "outgoing"}
    calls.on_event({**ev, "type": "CALL_LOCAL_SDP", "_t": t0 + 2})
    calls.on_event({**ev, "type": "CALL_ESTABLISHED", "_t": t0 + 3})
    assert calls.claim(call, t0) and call.ua_id == "new" and call.status == "Connected"
    stats = {
        "tx": {"sent": 250, "lost": 0, "jit": 1077},
        "rx": {"sent": 248, "lost": 2, "jit": 4200},
        "rtt": 1359,
    }
    calls.on_event({**ev, "type": "CALL_RTCP", "param": "audio", "rtcp_stats": stats})
    leaves = dict(media_status(call))
    assert leaves["MediaChannels Call 5 Channel 1 Netstat Packets"] == "248"
    assert leaves["MediaChannels Call 5 Channel 1 Netstat Loss"] == "2"
    assert leaves["MediaChannels Call 5 Channel 1 Netstat Jitter"] == "4"
    assert leaves["MediaChannels Call 5 Channel 3 Netstat Packets"] == "250"
    assert leaves["MediaChannels Call 5 Channel 3 Netstat RoundTripTime"] == "1.4"
    assert "MediaChannels Call 5 Channel 2 Type" not in leaves  # no video report yet
    calls.on_event({**ev, "type": "CALL_CLOSED", "param": "Connection reset by peer"})
    assert calls.live() == []


def test_a_bad_state_file_is_named(codec: Codec) -> None:
    codec.state_dir.mkdir(parents=True)
    (codec.state_dir / "xconfig.json").write_text('{"SIP Nonsense": "x"}')
    with pytest.raises(StateError, match="SIP Nonsense"):
        load_settings(codec.state_dir)
    answer = ask(codec, "xConfiguration SIP")
    assert answer.endswith("ERROR") and "SIP Nonsense" in answer


def test_the_shell_over_a_terminal_answers_each_command_once(tmp_path: Path) -> None:
    """Through a pty, as sshd runs a login shell: Netmiko's `\\r\\n` reads as two line ends, the
    empty one gets no answer, output ends lines with `\\r\\n`, and `bye` ends the session."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.lab.codec.shell",
            "--state",
            str(tmp_path / "c"),
            "--ctrl",
            "127.0.0.1:9",
        ],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    os.close(secondary)

    def read_until(marker: bytes, timeout: float = 20) -> bytes:
        out = b""
        deadline = time.monotonic() + timeout
        while marker not in out:
            assert time.monotonic() < deadline, f"no {marker!r} in {out!r}"
            if select.select([primary], [], [], 0.5)[0]:
                out += os.read(primary, 4096)
        return out

    try:
        assert read_until(b"Login successful\r\n\r\nOK\r\n").startswith(b"Welcome to")
        os.write(primary, b"xConfiguration NetworkServices SIP Mode\r\n")
        out = read_until(b"OK\r\n")
        assert out.endswith(b"*c xConfiguration NetworkServices SIP Mode: On\r\n** end\r\n\r\nOK\r\n")
        os.write(primary, b"bye\r\n")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)


def test_marks_are_only_loaded_where_the_codec_address_lives(tmp_path: Path) -> None:
    assert holds_address("127.0.0.1")
    assert not holds_address("198.18.255.254")  # not an address of this namespace
    assert not holds_address(None)
    # a lab codec's state dir on the machine itself: setting QoS must not touch the host's nft
    baresip.write_baresip_config(tmp_path, factory(), "198.18.255.254")
    codec = Codec(tmp_path, None, None)
    assert ask(codec, "xConfiguration Network 1 QoS Mode: Diffserv").endswith("OK")
    assert "QoS marks not applied" in (tmp_path / "shell.log").read_text()


def test_every_rendered_codec_intent_is_accepted_and_reads_back(tmp_path: Path) -> None:
    """What `infra render` emits for the province's codecs (templates/cisco_tp), line by line
    into a bare stand-in: every setting is accepted, and `xConfiguration` then prints each one
    exactly as rendered (the driver's second deploy finds nothing to change)."""
    inv = load_inventory(INVENTORY)
    codecs = [h.name for h in inv.vc_endpoints]
    assert codecs
    for name in codecs:
        codec = Codec(tmp_path / name, None, None)
        intent = [line for line in render_host(inv, name).splitlines() if line.strip()]
        for line in intent:
            assert ask(codec, line) == "** end\n\nOK", line
        running = ask(codec, "xConfiguration").splitlines()
        assert [f"*c {line}" for line in intent if f"*c {line}" not in running] == []
