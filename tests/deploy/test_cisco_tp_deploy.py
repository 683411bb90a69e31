"""`infra deploy` and `infra audit` on a video codec, against a recorded RoomOS session.

The codec `vc-so-noi-vu` of the test inventory is played by `codec_replay.CodecReplayServer`
(recordings/cisco_tp: which lines come from Cisco's xAPI reference and which from Netmiko's
`cisco_tp` class is said there and in test_cisco_tp.py); the driver, the deploy, the
verification, the journal, the backups and the drift audit are the real ones.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import DeviceTarget, Driver, driver_for
from infra.drivers.cisco_tp import CiscoTpDriver
from infra.inventory import Inventory
from infra.inventory.models import Host
from tests.deploy.codec_replay import CodecReplayServer, managed_settings
from tests.deploy.fake_cli import invoke, patch_cli

HOST = "vc-so-noi-vu"
CODEC_PASSWORD = "Lab-Codec-Pw-6m2k"  # the lab vault's vault_codec_password


def codec_intent(inv: Inventory, host: Host) -> str:
    """A codec's managed paths; the SNMP community carries the codec password so that a leak
    of a secret-bearing setting into output, journal, backups or session log would show."""
    assert inv.credentials.codec_password is not None
    password = inv.secret(inv.credentials.codec_password).reveal()
    return managed_settings(password)


class Codecs:
    """The recorded codec behind every codec target (same credentials as the inventory's)."""

    def __init__(self, recording: str = "room_kit") -> None:
        self.server = CodecReplayServer("admin", CODEC_PASSWORD, recording)
        self.targets: list[DeviceTarget] = []

    def factory(self, target: DeviceTarget) -> Driver:
        self.targets.append(target)
        here = dataclasses.replace(target, address="127.0.0.1", port=self.server.port, lab_space=None)
        drv = driver_for(here.platform)(here)
        assert isinstance(drv, CiscoTpDriver)
        drv.registration_poll_s = 0.05
        return drv

    @property
    def running(self) -> str:
        return self.server.codec.running

    def sets(self) -> list[str]:
        return [
            line for line in self.server.codec.received if line.startswith("xConfiguration ") and ":" in line
        ]


@pytest.fixture
def codecs() -> Iterator[Codecs]:
    c = Codecs()
    yield c
    c.server.close()


def use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codecs: Codecs) -> None:
    waits = {"converge_wait_s": 0.5, "restore_window_s": 0.0}
    patch_cli(monkeypatch, tmp_path / "state", codec_intent, codecs.factory, **waits)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, codecs: Codecs) -> Callable[..., Any]:
    use(monkeypatch, tmp_path, codecs)
    return invoke


def test_codec_logs_in_with_the_codec_credentials(inv: Inventory) -> None:
    from infra.drivers.targets import target_for

    target = target_for(inv, inv.hosts[HOST])
    assert (target.platform, target.username, target.password.reveal()) == (
        "cisco_tp",
        "admin",
        CODEC_PASSWORD,
    )
    assert CODEC_PASSWORD in target.hidden


def test_check_diff_then_deploy_then_nothing_to_do(run: Callable[..., Any], codecs: Codecs) -> None:
    r = run("deploy", "-l", HOST, "--check", "--diff")
    assert r.exit_code == 3, r.output
    assert "- xConfiguration Conference AutoAnswer Mode: On" in r.output
    assert "+ xConfiguration Conference AutoAnswer Mode: Off" in r.output
    assert "Audio DefaultVolume" not in r.output  # not managed: not shown, not touched
    assert codecs.sets() == []  # --check sends nothing
    r = run("deploy", "-l", HOST, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    (host,) = doc["hosts"]
    assert host["status"] == "changed" and "applied and verified" in host["message"]
    assert "xConfiguration NetworkServices H323 Mode: Off" not in codecs.sets()  # Off already: not pushed
    assert "xConfiguration Audio DefaultVolume: 50" in codecs.running.splitlines()
    pushed = len(codecs.sets())
    r = run("deploy", "-l", HOST, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.output)["hosts"][0]["message"] == "no changes"
    assert len(codecs.sets()) == pushed  # the second deploy sent nothing


def test_a_hand_change_is_drift_and_the_next_deploy_removes_it(
    run: Callable[..., Any], codecs: Codecs
) -> None:
    assert run("deploy", "-l", HOST).exit_code == 0
    assert run("audit", "-l", HOST).exit_code == 0
    codecs.server.codec.running = codecs.running.replace("AutoAnswer Mode: Off", "AutoAnswer Mode: On")
    codecs.server.codec.running = codecs.running.replace(
        "DefaultVolume: 50", "DefaultVolume: 70"
    )  # unmanaged
    r = run("audit", "-l", HOST, "--format", "json")
    assert r.exit_code == 3, r.output
    (check,) = json.loads(r.output)["checks"]
    assert check["status"] == "fail" and "1 lines to remediate" in check["summary"]
    assert "+ xConfiguration Conference AutoAnswer Mode: Off" in check["detail"]
    assert "DefaultVolume" not in check["detail"]
    r = run("deploy", "-l", HOST, "--format", "json")
    assert r.exit_code == 0, r.output
    assert codecs.sets()[-1] == "xConfiguration Conference AutoAnswer Mode: Off"
    assert "xConfiguration Audio DefaultVolume: 70" in codecs.running.splitlines()  # left alone
    assert run("audit", "-l", HOST).exit_code == 0


def test_registration_that_stays_failed_restores_the_previous_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    codecs = Codecs("room_kit_registration_fails")
    try:
        use(monkeypatch, tmp_path, codecs)
        before = codecs.running
        r = invoke("deploy", "-l", HOST, "--format", "json")
    finally:
        codecs.server.close()
    assert r.exit_code == 1, r.output
    (host,) = json.loads(r.output)["hosts"]
    assert host["status"] == "rolled_back"
    assert "`xStatus SIP Registration 1 Status` is Failed, not Registered" in host["message"]
    assert "SIP Proxy 1 Address" in host["message"]
    assert codecs.running == before  # every changed path set back to its previous value
    assert codecs.sets()[-1].startswith("xConfiguration ")


def test_no_codec_password_in_output_journal_backups_or_session_log(
    run: Callable[..., Any], codecs: Codecs, tmp_path: Path
) -> None:
    logs = tmp_path / "sessions"
    outputs = [
        run("deploy", "-l", HOST, "--check", "--diff", "--format", "json").output,
        run("deploy", "-l", HOST, "--session-log-dir", str(logs), "--format", "json").output,
        run("history", "--format", "json").output,
        run("history", HOST, "--diff").output,
    ]
    assert CODEC_PASSWORD in codecs.running  # the codec holds it: a leak would show
    assert "<secret>" in outputs[0]
    session_log = (logs / f"{HOST}.log").read_text()
    assert "SNMP CommunityName" in session_log
    state = tmp_path / "state"
    git_log = subprocess.run(
        ["git", "-C", str(state / "backups"), "log", "-p", "--all"], capture_output=True, text=True
    ).stdout
    assert "xConfiguration" in git_log  # the codec's configs were backed up
    stored = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in state.rglob("*") if p.is_file())
    for where, text in [
        ("output", "\n".join(outputs)),
        ("session log", session_log),
        ("backups", git_log),
        ("state", stored),
    ]:
        assert CODEC_PASSWORD not in text, f"the codec password leaked into {where}"


def test_a_setting_that_does_not_read_back_is_named_and_restored(
    run: Callable[..., Any], codecs: Codecs
) -> None:
    """Fault injection (not from the reference): the codec answers OK but keeps HTTP on."""
    codecs.server.codec.ignored.add("networkservices http mode")
    before = codecs.running
    r = run("deploy", "-l", HOST, "--format", "json")
    assert r.exit_code == 1, r.output
    (host,) = json.loads(r.output)["hosts"]
    assert host["status"] == "rolled_back"
    assert (
        "drift left after the push (1 lines: xConfiguration NetworkServices HTTP Mode: HTTPS)"
        in host["message"]
    )
    assert codecs.running == before
