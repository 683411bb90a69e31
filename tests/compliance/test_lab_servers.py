"""The servers' checks against real lab servers: a hand edit of sshd_config inside a server is
found by an online audit (SSH into the server, read its files, apply the catalogue)."""

from __future__ import annotations

import subprocess

import pytest

from infra.audit.compliance import Status, run_compliance
from infra.lab.exec import exec_argv
from infra.lab.paths import SSH_KEY

SERVER = "srv-portal-1"
RULE = "LNX-SSH-ROOT-LOGIN"


def _sh(script: str) -> str:
    return subprocess.run(
        exec_argv(SERVER, ["sh", "-c", script]), capture_output=True, text=True, check=True
    ).stdout


def _set_root_login(value: str) -> None:
    """One global PermitRootLogin on the first line: appended at the end it could land inside a
    Match block that the baseline role writes."""
    _sh(
        "sed -i '/^[#[:space:]]*PermitRootLogin/d' /etc/ssh/sshd_config && "
        f"sed -i '1i PermitRootLogin {value}' /etc/ssh/sshd_config"
    )


@pytest.mark.lab
def test_hand_edit_of_sshd_config_is_found(lab, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("INFRA_SSH_KEY", str(SSH_KEY))
    original = _sh("cat /etc/ssh/sshd_config")
    try:
        _set_root_login("no")
        before = run_compliance(lab.inv, limit=SERVER)
        (device,) = before.devices
        assert device.platform == "linux" and device.origin == "online"
        assert "AUDIT-UNPARSEABLE" not in {r.rule.id for r in device.findings}, device.findings
        result = next(r for r in device.results if r.rule.id == RULE)
        assert result.status is Status.PASS
        # the server's other files were read too: its OS release is known, not "not gathered"
        assert next(r for r in device.results if r.rule.id == "LNX-OS-SUPPORTED").status is Status.PASS

        _set_root_login("yes")  # the hand edit
        after = run_compliance(lab.inv, limit=SERVER)
        finding = next(r for r in after.devices[0].results if r.rule.id == RULE)
        assert finding.status is Status.FAIL
        (evidence,) = finding.evidence
        assert evidence.text == "PermitRootLogin yes" and evidence.source == "/etc/ssh/sshd_config"
        assert evidence.line == 1
    finally:
        subprocess.run(
            exec_argv(SERVER, ["sh", "-c", "cat > /etc/ssh/sshd_config"]),
            input=original,
            text=True,
            check=True,
        )


@pytest.mark.lab
def test_online_audit_of_a_lab_router_reads_its_running_config(lab) -> None:  # type: ignore[no-untyped-def]
    report = run_compliance(lab.inv, limit="cpe-xa-bao-lam")
    (device,) = report.devices
    assert device.platform == "frr" and device.origin == "online" and device.site == "xa-bao-lam"
    ids = {r.rule.id for r in device.results}
    assert "AUDIT-UNPARSEABLE" not in ids
    assert {"FRR-LOG-SYSLOG", "FRR-BGP-AUTH", "FRR-NO-DEFAULT-PASSWORD"} <= ids
