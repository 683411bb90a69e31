"""Waivers from the inventory (host_vars or group_vars): a live waiver turns a finding into a
waived result shown in every report; an expired one does not apply and is reported as expired."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml

from infra.audit.compliance import Status, render_compliance, run_compliance
from infra.inventory import load_inventory
from tests.compliance.helpers import GOLDEN_FILES, TODAY
from tests.conftest import INVENTORY


def _add_vars(path: Path, extra: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    data.update(extra)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _province(tmp_path: Path) -> Path:
    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inv)
    _add_vars(
        inv / "host_vars" / "cpe-xa-bao-lam.yml",
        {
            "compliance_waivers": [
                {
                    "rule": "IOS-NO-HTTP-SERVER",
                    "reason": "vendor portal needed until the CPE swap (ticket 4711)",
                    "expires": "2027-03-31",
                },
                {
                    "rule": "IOS-LOGIN-BANNER",
                    "reason": "old waiver from the 2025 rollout",
                    "expires": "2026-01-31",
                },
            ]
        },
    )
    _add_vars(
        inv / "group_vars" / "cpe.yml",
        {
            "compliance_waivers": [
                {
                    "rule": "IOS-SNMP-*",
                    "reason": "carrier monitors CPEs over SNMPv2c until Q2 2027",
                    "expires": "2027-06-30",
                },
            ]
        },
    )
    return inv


def _configs(tmp_path: Path, hosts: list[str]) -> Path:
    bad = GOLDEN_FILES["cisco_ios"].read_text()
    bad = bad.replace(
        "no ip bootp server\n", "no ip bootp server\nip http server\nsnmp-server community public RO\n"
    )
    bad = bad.replace("banner login ^C\nAuthorised access only. Activity is logged and monitored.\n^C\n", "")
    out = tmp_path / "configs"
    out.mkdir()
    for h in hosts:
        (out / f"{h}.cfg").write_text(bad)
    return out


def test_host_and_group_waivers(tmp_path: Path) -> None:
    inv = load_inventory(_province(tmp_path))
    configs = _configs(tmp_path, ["cpe-xa-bao-lam", "cpe-xa-cat-tien", "dc-core-1"])
    report = run_compliance(inv, offline=configs, today=TODAY)
    devices = {d.host: d for d in report.devices}
    assert devices["cpe-xa-bao-lam"].site == "xa-bao-lam"

    def status(host: str, rule: str) -> Status:
        return next(r.status for r in devices[host].results if r.rule.id == rule)

    # host_vars: live waiver applies; expired one does not, and says so
    assert status("cpe-xa-bao-lam", "IOS-NO-HTTP-SERVER") is Status.WAIVED
    banner = next(r for r in devices["cpe-xa-bao-lam"].results if r.rule.id == "IOS-LOGIN-BANNER")
    assert banner.status is Status.FAIL
    assert banner.waiver is not None and banner.waiver.expired and banner.waiver.expires == date(2026, 1, 31)
    # host_vars replace the group's list (Ansible precedence): the group waiver is not on this host
    assert status("cpe-xa-bao-lam", "IOS-SNMP-NO-DEFAULT-COMMUNITY") is Status.FAIL
    # group_vars: a CPE without host waivers gets the group's (glob) waiver
    assert status("cpe-xa-cat-tien", "IOS-SNMP-NO-DEFAULT-COMMUNITY") is Status.WAIVED
    assert (
        status("cpe-xa-cat-tien", "IOS-SNMPV3-PRIV") is Status.FAIL
    )  # the glob is IOS-SNMP-*, not IOS-SNMP*
    assert status("cpe-xa-cat-tien", "IOS-NO-HTTP-SERVER") is Status.FAIL
    # not a CPE: nothing waived
    assert status("dc-core-1", "IOS-SNMP-NO-DEFAULT-COMMUNITY") is Status.FAIL

    # waivers show in every report
    table = render_compliance(report, "table")
    assert "waiver until 2027-03-31: vendor portal needed" in table
    assert "waiver EXPIRED 2026-01-31: old waiver from the 2025 rollout" in table
    html = render_compliance(report, "html")
    assert "Waived until 2027-03-31" in html and "EXPIRED on 2026-01-31" in html
    js = render_compliance(report, "json")
    assert '"expired": true' in js and '"rule_pattern": "IOS-SNMP-*"' in js
    sarif = render_compliance(report, "sarif")
    assert '"suppressions"' in sarif
    junit = render_compliance(report, "junit")
    assert '<skipped message="waived until 2027-03-31' in junit


def test_waived_findings_do_not_fail_the_run(tmp_path: Path) -> None:
    inv = load_inventory(_province(tmp_path))
    configs = _configs(tmp_path, ["cpe-xa-cat-tien"])
    from infra.audit.compliance import Severity

    report = run_compliance(inv, offline=configs, today=TODAY)
    high = [r.rule.id for _, r in report.findings(Severity.HIGH)]
    assert "IOS-SNMP-NO-DEFAULT-COMMUNITY" not in high  # waived
    assert "IOS-NO-HTTP-SERVER" in high  # not waived: still fails the run
    assert report.fails_at(Severity.HIGH)
