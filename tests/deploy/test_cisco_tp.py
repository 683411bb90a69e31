"""The cisco_tp driver against recorded sessions of a RoomOS codec (no such codec runs here).

The recordings (`recordings/cisco_tp/*.yml`) mark each part with its source: `[cisco]` lines
come from Cisco's published xAPI reference (the greeting, `*c`/`*s`/`*r` answers ending in
`** end`, configuration paths and value spaces, xStatus values, the error results of a wrong
path or value, xCommand Dial's result); `[netmiko]` lines from what Netmiko's `cisco_tp` class
(CiscoTpTcCeSSH) expects (no prompt, ready at `OK`, every answer ending in a line `OK`, `ERROR`
or `Command not recognized.`, no config mode, no save).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.drivers import CommandRejected, DeviceTarget, Driver, RevertExpired, driver_for
from infra.drivers.cisco_tp import CiscoTpDriver
from infra.drivers.configtree import same
from infra.inventory.secrets import Secret
from tests.deploy.codec_replay import CodecReplayServer, managed_settings
from tests.deploy.contract import CODEC_INTENDED, run_codec_contract

PASSWORD = "Lab-Codec-Pw-6m2k"  # the lab's codec password
SNMP_COMMUNITY = "Lab-Snmp-Comm-3x"  # a secret a managed setting carries

INTENDED = (
    managed_settings(SNMP_COMMUNITY)
    + """xConfiguration Network 1 QoS Mode: Diffserv
xConfiguration Network 1 QoS Diffserv Audio: 46
xConfiguration Network 1 QoS Diffserv Video: 34
xConfiguration Network 1 QoS Diffserv Signalling: 24
"""
)
NOT_SIP = "\n".join(line for line in INTENDED.splitlines() if " SIP " not in line) + "\n"


@pytest.fixture
def codec() -> Iterator[CodecReplayServer]:
    srv = CodecReplayServer("admin", PASSWORD)
    yield srv
    srv.close()


def make(srv: CodecReplayServer, log: Path | None = None, password: str = PASSWORD) -> CiscoTpDriver:
    target = DeviceTarget(
        host="vc-so-noi-vu",
        address="127.0.0.1",
        port=srv.port,
        username="admin",
        password=Secret(password),
        platform="cisco_tp",
        timeout=10,
        session_log=log,
        hidden=(PASSWORD, SNMP_COMMUNITY),
    )
    drv = driver_for("cisco_tp")(target)
    assert isinstance(drv, CiscoTpDriver)
    drv.registration_poll_s = 0.05
    return drv


def _sent(srv: CodecReplayServer) -> list[str]:
    return [line for line in srv.codec.received if line and line != "bye"]  # leaving


def test_contract(codec: CodecReplayServer) -> None:
    run_codec_contract(lambda: make(codec))
    run_codec_contract(lambda: make(codec), INTENDED)


def test_running_config_is_the_canonical_form(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        running = drv.get_running_config()
    lines = running.splitlines()
    assert lines[0] == "xConfiguration Audio DefaultVolume: 50"
    assert 'xConfiguration SIP Proxy 1 Address: ""' in lines
    assert all(line.startswith("xConfiguration ") for line in lines)  # no `*c`, `** end`, `OK`
    assert _sent(codec) == ["xConfiguration"]


def test_only_changed_paths_are_sent_and_a_second_deploy_changes_nothing(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        drv.load_candidate(INTENDED)
        change = drv.commit(revert_in=None)
        assert drv.verify_applied(change.remediation, 5.0) == []
        drv.confirm()
        drv.save()
        sets = [line for line in _sent(codec) if ":" in line]
        assert sets == list(change.remediation)
        assert "xConfiguration NetworkServices H323 Mode: Off" not in sets  # already Off on the codec
        drv.load_candidate(INTENDED)
        assert drv.compare().empty
    assert "Audio DefaultVolume: 50" in codec.codec.running  # unmanaged paths untouched


def test_a_sip_change_waits_for_the_registration(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        drv.load_candidate(INTENDED)
        change = drv.commit(revert_in=None)
        assert drv.verify_applied(change.remediation, 5.0) == []
    reads = [line for line in _sent(codec) if line == "xStatus SIP Registration 1 Status"]
    assert len(reads) == 3  # Registering, Registering, Registered (the recording's sequence)


def test_no_registration_check_without_a_sip_change(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        drv.load_candidate(NOT_SIP)
        change = drv.commit(revert_in=None)
        assert change.remediation and drv.verify_applied(change.remediation, 5.0) == []
    assert not any(line.startswith("xStatus") for line in _sent(codec))


def test_registration_that_stays_failed_is_named() -> None:
    srv = CodecReplayServer("admin", PASSWORD, "room_kit_registration_fails")
    try:
        with make(srv) as drv:
            drv.load_candidate(INTENDED)
            change = drv.commit(revert_in=None)
            problems = drv.verify_applied(change.remediation, 0.3)
    finally:
        srv.close()
    assert len(problems) == 1
    assert problems[0].startswith("`xStatus SIP Registration 1 Status` is Failed, not Registered")
    assert "SIP URI, SIP Proxy 1 Address, SIP DefaultTransport" in problems[0]


def test_the_emulated_revert_timer_sets_the_previous_values_back(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        before = drv.get_running_config()
        drv.load_candidate(NOT_SIP)
        drv.commit(revert_in=0.3)
        deadline = time.monotonic() + 20
        while not drv.expired and time.monotonic() < deadline:
            time.sleep(0.05)
        assert drv.expired
        with pytest.raises(RevertExpired, match="the previous configuration was restored"):
            drv.confirm()
        assert same("cisco_tp", drv.get_running_config(), before)
    assert codec.codec.running == before


def test_refused_settings_carry_the_codecs_reason(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        with pytest.raises(
            CommandRejected,
            match=r"refused `xConfiguration Bogus Setting: On`: No match on address expression\.",
        ):
            drv._push(("xConfiguration Bogus Setting: On",), None)
        with pytest.raises(CommandRejected, match="Invalid or missing parameters"):
            drv._push(("xConfiguration Conference AutoAnswer Mode: Sometimes",), None)
        with pytest.raises(CommandRejected, match=r"Command not recognized\."):
            drv.show("show running-config")
        with pytest.raises(CommandRejected, match="not an xConfiguration setting"):
            drv._push(("hostname vc-1",), None)
    assert "hostname vc-1" not in codec.codec.received  # never sent


def test_status_and_command_for_readiness_checks(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        assert drv.status("SIP Registration 1 Status") == "Registered"
        assert drv.status("SIP  Registration 1 Status") == "Registered"
        assert drv.status("SIP Registration 1 URI") == "sip:so-noi-vu@vc.lamvien.gov.vn"  # unquoted
        assert drv.status("SystemUnit State NumberOfActiveCalls") == "0"
        dial = drv.command("Dial Number: sip:testroom@vc.lamvien.gov.vn")
        assert "*r DialResult (status=OK):" in dial and "CallId: 3" in dial
        with pytest.raises(CommandRejected, match="No match on address expression"):
            drv.status("SIP Registration 9 Nonsense")


def test_no_startup_config_and_save_sends_nothing(codec: CodecReplayServer) -> None:
    with make(codec) as drv:
        assert drv.get_startup_config() is None
        drv.save()
        assert drv.neighbours_up() == frozenset()
    assert _sent(codec) == []


def test_session_log_masks_the_codec_password_and_secret_settings(
    codec: CodecReplayServer, tmp_path: Path
) -> None:
    log = tmp_path / "session.log"
    with make(codec, log) as drv:
        drv.load_candidate(INTENDED.replace(SNMP_COMMUNITY, PASSWORD))  # a setting carrying it
        drv.commit(revert_in=None)
        drv.get_running_config()
    assert PASSWORD in codec.codec.running  # the codec holds it: the test would catch a leak
    text = log.read_text()
    assert "NetworkServices SNMP CommunityName" in text and "********" in text
    assert PASSWORD not in text and SNMP_COMMUNITY not in text


def test_wrong_password_is_a_clear_connection_error(codec: CodecReplayServer) -> None:
    from infra.drivers import ConnectionFailed

    with pytest.raises(
        ConnectionFailed, match=r"^vc-so-noi-vu \(127\.0\.0\.1:\d+\): authentication failed for user admin$"
    ):
        make(codec, password="wrong").open()


def test_probe_logs_in_and_leaves(codec: CodecReplayServer) -> None:
    drv: Driver = make(codec)
    drv.probe()
    assert codec.logins == 1 and _sent(codec) == []


def test_codec_contract_default_intent_is_partial() -> None:
    assert all(line.startswith("xConfiguration ") for line in CODEC_INTENDED.splitlines())


def test_a_shell_that_does_not_echo_works_too(codec: CodecReplayServer) -> None:
    """RoomOS echoes what is typed; a codec shell that does not (e.g. `echo off`) must not
    leave the driver waiting for an echo."""
    codec.codec.rec["echo"] = False
    with make(codec) as drv:
        drv.load_candidate(NOT_SIP)
        drv.commit(revert_in=None)
        assert drv.compare().empty
        assert drv.status("SIP Registration 1 Status") == "Registered"
        with pytest.raises(CommandRejected, match=r"Command not recognized\."):
            drv.show("bogus")


def test_a_restore_on_a_live_session_sends_nothing_but_xapi(codec: CodecReplayServer) -> None:
    # the deploy's restore asks reconnect() (is the session alive?) before rolling back: Netmiko's
    # own check writes a NUL byte, which the codec read as the start of `xConfiguration` (seen
    # in the lab: "Command not recognized." and a codec left NEEDS ATTENTION)
    with make(codec) as drv:
        before = drv.get_running_config()
        drv.load_candidate(INTENDED)
        drv.commit(drv.compare())
        drv.reconnect()
        drv.rollback()
        assert drv.get_running_config() == before
    assert [line for line in codec.codec.received if "\x00" in line] == []
