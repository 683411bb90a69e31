"""Codec (cisco_tp) compliance: offline on xConfiguration dumps in both printed forms, the path
and value to fix in every finding, the factory-login evidence, and the online path through the
platform's driver (`driver_for`), here with a fake driver standing in for a RoomOS codec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from infra.audit.compliance import run as compliance_run
from infra.audit.compliance.report import Status
from infra.audit.compliance.run import run_compliance
from infra.drivers import base as drivers
from infra.drivers.base import ConnectionFailed, DeviceTarget
from infra.inventory import Inventory
from tests.compliance.helpers import GOLDEN_FILES, TODAY, audit_text, failed_ids

GOLDEN = GOLDEN_FILES["cisco_tp"].read_text(encoding="utf-8")
CODEC = "vc-so-noi-vu"


def _canonical(text: str) -> str:
    """The form `infra render` writes: no `*c `, no `** end` / `OK` trailer."""
    return "".join(
        ln[3:] + "\n" if ln.startswith("*c ") else ln + "\n"
        for ln in text.splitlines()
        if ln not in ("** end", "OK")
    )


def _result(report: Any, rule: str) -> Any:
    return next(r for r in report.results if r.rule.id == rule)


def test_device_output_and_canonical_form_give_the_same_results() -> None:
    bad = GOLDEN.replace("AutoAnswer Mode: Off", "AutoAnswer Mode: On")
    device = audit_text(bad, name="codec")
    canonical = audit_text(_canonical(bad), name="codec")
    assert "*c " not in _canonical(bad) and "xConfiguration SIP URI" in _canonical(bad)
    assert device.platform == canonical.platform == "cisco_tp"  # told from the content
    assert failed_ids(device) == failed_ids(canonical) == {"TP-AUTO-ANSWER-OFF"}
    statuses = {r.rule.id: r.status for r in device.results}
    assert statuses == {r.rule.id: r.status for r in canonical.results}
    assert set(statuses.values()) == {Status.PASS, Status.FAIL}


@pytest.mark.parametrize(
    ("edit", "rule", "fix"),
    [
        (
            ("HTTP Mode: HTTPS", "HTTP Mode: HTTP+HTTPS"),
            "TP-SECURE-MANAGEMENT",
            "NetworkServices HTTP Mode: HTTPS",
        ),
        (
            ("AutoAnswer Mode: Off", "AutoAnswer Mode: On"),
            "TP-AUTO-ANSWER-OFF",
            "Conference AutoAnswer Mode: Off",
        ),
        (
            ("factory-login admin: refused", "factory-login admin: accepted"),
            "TP-NO-FACTORY-CREDENTIALS",
            'UserManagement User Passphrase Set Username: "admin"',
        ),
    ],
)
def test_http_auto_answer_and_factory_login_are_flagged_with_the_fix(
    edit: tuple[str, str], rule: str, fix: str
) -> None:
    report = audit_text(GOLDEN.replace(*edit), name="codec")
    assert failed_ids(report) == {rule}
    finding = _result(report, rule)
    assert edit[1] in "\n".join(e.text for e in finding.evidence)  # the offending line ...
    assert fix in finding.remediation  # ... and the path and value to set
    assert finding.evidence[0].line > 0


def test_a_dump_without_the_factory_login_line_leaves_that_rule_not_applicable() -> None:
    text = "\n".join(ln for ln in GOLDEN.splitlines() if "factory-login" not in ln) + "\n"
    report = audit_text(text, name="codec")
    result = _result(report, "TP-NO-FACTORY-CREDENTIALS")
    assert result.status is Status.NOT_APPLICABLE
    assert "online audit" in result.evidence[0].text
    assert failed_ids(report) == set()


def test_missing_paths_are_read_at_the_codec_defaults() -> None:
    """A dump holding only one path: the others take RoomOS's factory defaults (FarEndControl On,
    Encryption BestEffort, HTTP+HTTPS, SNMP ReadOnly, ...), which fail."""
    report = audit_text('*c xConfiguration SIP URI: "a@b"\n', name="codec")
    assert {
        "TP-FAR-END-CAMERA-OFF",
        "TP-MEDIA-ENCRYPTION",
        "TP-SECURE-MANAGEMENT",
        "TP-SNMP",
        "TP-SESSION-TIMEOUT",
    } <= failed_ids(report)
    assert "TP-AUTO-ANSWER-OFF" not in failed_ids(report)  # factory default Off


# ---- online, through the platform's driver ------------------------------------------------
class FakeCodec:
    """A RoomOS codec's login and `xConfiguration` as the driver contract shows them: the
    managed account logs in; the factory account (admin, empty passphrase) only when
    `factory_open` is set."""

    factory_open = False
    logins: list[tuple[str, bool]] = []

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target

    def __enter__(self) -> FakeCodec:
        factory = self.target.username == "admin" and self.target.password.reveal() == ""
        FakeCodec.logins.append((self.target.username, factory))
        if factory and not FakeCodec.factory_open:
            raise ConnectionFailed(f"{self.target.host}: authentication failed for admin")
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def get_running_config(self) -> str:
        return "\n".join(ln for ln in GOLDEN.splitlines() if "factory-login" not in ln) + "\n"


@pytest.fixture
def fake_codecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeCodec]]:
    asked: list[str] = []

    def driver_for(platform: str) -> Any:
        asked.append(platform)
        if platform != "cisco_tp":
            raise drivers.UnknownPlatform(platform)
        return FakeCodec

    monkeypatch.setattr(drivers, "driver_for", driver_for)
    monkeypatch.setattr(compliance_run, "ready_to_contact", lambda inv: ())
    FakeCodec.logins = []
    FakeCodec.factory_open = False
    yield FakeCodec
    assert set(asked) == {"cisco_tp"}


def test_online_audit_reads_the_codec_through_its_driver(
    example_inventory: Inventory, fake_codecs: type[FakeCodec]
) -> None:
    report = run_compliance(example_inventory, limit=CODEC, today=TODAY)
    (device,) = report.devices
    assert (device.host, device.platform, device.origin) == (CODEC, "cisco_tp", "online")
    assert failed_ids(device) == set()
    assert _result(device, "TP-NO-FACTORY-CREDENTIALS").status is Status.PASS
    # the factory login is tried first, then the managed account reads the configuration
    assert [f for _, f in fake_codecs.logins] == [True, False]


def test_online_audit_flags_a_codec_that_lets_the_factory_account_in(
    example_inventory: Inventory, fake_codecs: type[FakeCodec]
) -> None:
    fake_codecs.factory_open = True
    (device,) = run_compliance(example_inventory, limit=CODEC, today=TODAY).devices
    assert failed_ids(device) == {"TP-NO-FACTORY-CREDENTIALS"}
    finding = _result(device, "TP-NO-FACTORY-CREDENTIALS")
    assert "factory-login admin: accepted" in finding.evidence[0].text
    assert "UserManagement User Passphrase Set" in finding.remediation


def test_offline_directory_of_codec_dumps(tmp_path: Path) -> None:
    (tmp_path / "vc-a.txt").write_text(GOLDEN, encoding="utf-8")
    (tmp_path / "vc-b.txt").write_text(
        _canonical(GOLDEN.replace("HTTP Mode: HTTPS", "HTTP Mode: HTTP+HTTPS")), encoding="utf-8"
    )
    report = run_compliance(None, offline=tmp_path, today=TODAY)
    found = {d.host: failed_ids(d) for d in report.devices}
    assert found == {"vc-a": set(), "vc-b": {"TP-SECURE-MANAGEMENT"}}


def test_the_rendered_intent_of_every_codec_passes_every_tp_rule(example_inventory: Inventory) -> None:
    """`infra render` for each codec, audited offline as the canonical text it is: every TP-*
    rule passes, except the factory login, which no intent can show (a login tells it)."""
    from infra.audit.compliance.catalogue import rules_for
    from infra.audit.compliance.run import Job, audit_job, baseline_context
    from infra.inventory.models import Platform
    from infra.render import render_host

    inv = example_inventory
    codecs = [h for h in inv.hosts.values() if h.platform == Platform.CISCO_TP]
    assert len(codecs) >= 6
    tp_rules = {r.id for r in rules_for("cisco_tp")}
    assert len(tp_rules) >= 11
    for host in codecs:
        text = render_host(inv, host.name, mask_secrets=True)
        job = Job(host.name, "render", text=text, site=host.site, role=host.role.value)
        report = audit_job(job, TODAY, baseline_context(inv))
        assert report.platform == "cisco_tp"  # told from the content
        status = {r.rule.id: r.status for r in report.results}
        assert set(status) == tp_rules
        assert {k for k, v in status.items() if v is not Status.PASS} == {"TP-NO-FACTORY-CREDENTIALS"}
        assert status["TP-NO-FACTORY-CREDENTIALS"] is Status.NOT_APPLICABLE


def test_remediation_names_the_province_s_own_values(example_inventory: Inventory) -> None:
    from infra.audit.compliance.run import Job, audit_job, baseline_context
    from infra.render import render_host, sip_proxy

    inv = example_inventory
    text = render_host(inv, CODEC).replace(
        f'SIP Proxy 1 Address: "{sip_proxy(inv)}"', 'SIP Proxy 1 Address: ""'
    )
    report = audit_job(Job(CODEC, "render", text=text), TODAY, baseline_context(inv))
    finding = _result(report, "TP-REGISTERED")
    assert finding.status is Status.FAIL
    assert f'xConfiguration SIP Proxy 1 Address: "{sip_proxy(inv)}"' in finding.remediation


def test_tp_rules_check_the_paths_the_renderer_writes(example_inventory: Inventory) -> None:
    """The rules read the codec's real paths, the ones `infra render` manages: a rule cannot pass
    the intent merely by the default of a path nobody writes (telnet aside: RoomOS 10+ has no
    telnet server and no such path; CE 8/9 default it off)."""
    from infra.audit.compliance.catalogue import Setting, rules_for
    from infra.render import render_host

    rendered = {
        ln.split(":", 1)[0].removeprefix("xConfiguration ").lower()
        for ln in render_host(example_inventory, CODEC).splitlines()
    }
    checked = {
        c.key.lower()
        for r in rules_for("cisco_tp")
        for c in r.checks
        if isinstance(c, Setting) and c.source == "xconfig"
    }
    assert checked - rendered == {"networkservices telnet mode"}


def test_a_codec_without_a_driver_is_reported_not_skipped(
    example_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_driver(platform: str) -> Any:
        raise drivers.UnknownPlatform(f"no driver for platform {platform!r} (known: frr)")

    monkeypatch.setattr(drivers, "driver_for", no_driver)
    monkeypatch.setattr(compliance_run, "ready_to_contact", lambda inv: ())
    (device,) = run_compliance(example_inventory, limit=CODEC, today=TODAY).devices
    assert failed_ids(device) == {"AUDIT-UNPARSEABLE"}
    assert "no driver for platform 'cisco_tp'" in device.findings[0].evidence[0].text
