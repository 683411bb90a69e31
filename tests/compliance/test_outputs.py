"""Report formats (table, JSON, JUnit, HTML, SARIF 2.1.0), the CLI's exit codes, and secrets:
no secret of the lab province ever appears in any report, even from configs that carry them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from infra.audit.compliance import FORMATS, ComplianceReport, render_compliance, run_compliance
from infra.cli import cli
from infra.render import render_host
from tests.compliance.helpers import GOLDEN_FILES, HERE, TODAY
from tests.conftest import INVENTORY, LAB_SECRETS

CORPUS = HERE / "corpus"


@pytest.fixture(scope="module")
def report() -> ComplianceReport:
    return run_compliance(None, offline=CORPUS, today=TODAY)


def test_sarif_has_the_required_fields(report: ComplianceReport) -> None:
    doc = json.loads(render_compliance(report, "sarif"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["rules"]
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert run["results"]
    for res in run["results"]:
        assert res["ruleId"] in ids and ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"]
        if "region" in loc:
            assert loc["region"]["startLine"] >= 1
    rw = next(r for r in run["results"] if r["ruleId"] == "IOS-SNMP-NO-RW")
    assert rw["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("bad-baseline.cfg")
    linux = next(r for r in run["results"] if r["ruleId"] == "LNX-SSH-ROOT-LOGIN")
    assert linux["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "etc/ssh/sshd_config"
    )


def test_junit_is_one_suite_per_device_and_one_case_per_rule(report: ComplianceReport) -> None:
    root = ET.fromstring(render_compliance(report, "junit"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    # the same file name in two folders: each device is named by its path
    assert {"cisco_ios/bad-baseline", "huawei_vrp/bad-baseline", "frr/bad-baseline"} <= set(suites)
    garbage = suites["garbage.bin"]
    assert garbage.get("errors") == "1" and garbage.find("testcase/error") is not None
    failures = sum(int(s.get("failures", "0")) for s in suites.values())
    assert failures == sum(len(d.findings) for d in report.devices) - sum(
        1 for d in report.devices for r in d.findings if r.rule.id == "AUDIT-UNPARSEABLE"
    )


def test_json_carries_scores_per_device_site_and_group(report: ComplianceReport) -> None:
    doc = json.loads(render_compliance(report, "json"))
    assert doc["summary"]["devices"] == len(report.devices)
    assert set(doc["summary"]["groups"]) >= {"network", "server", "application"}
    dev = next(d for d in doc["devices"] if d["host"] == "bad-server")
    assert 0 < dev["score"] < 100
    finding = next(r for r in dev["results"] if r["rule"] == "LNX-SSH-ROOT-LOGIN")
    assert finding["references"]["stig"] == ["V-257985"]
    assert finding["references"]["circular_12_2022"] == "server"
    assert finding["evidence"][0]["text"] == "PermitRootLogin yes"
    assert finding["evidence"][0]["file"] == "/etc/ssh/sshd_config"


def test_html_is_self_contained(report: ComplianceReport) -> None:
    html = render_compliance(report, "html")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html and "@import" not in html
    assert "Summary per site" in html and "Summary per standard group" in html
    assert "IOS-SNMP-NO-RW" in html and "snmp-server community public RW" in html


def _configs_with_secrets(tmp_path: Path) -> Path:
    """Intended configs with the real lab secrets in them, plus bad ones that leak them."""
    from infra.inventory import load_inventory

    inv = load_inventory(INVENTORY)
    out = tmp_path / "configs"
    out.mkdir()
    for host in ("cpe-xa-bao-lam", "wan-hub-1", "dc-core-1"):
        (out / f"{host}.cfg").write_text(render_host(inv, host, mask_secrets=False))
    bad = GOLDEN_FILES["cisco_ios"].read_text() + "".join(
        f"username u{i} password 0 {s}\nsnmp-server community {s} RW\ntacacs-server host 10.0.0.{i} key {s}\n"
        for i, s in enumerate(LAB_SECRETS)
    )
    (out / "leaky.cfg").write_text(bad.replace("end\n", "") + "end\n")
    vrp = (
        GOLDEN_FILES["huawei_vrp"]
        .read_text()
        .replace(
            "return",
            "".join(
                f"snmp-agent community write {s}\nlocal-user x{i} password simple {s}\n"
                for i, s in enumerate(LAB_SECRETS)
            )
            + "return",
        )
    )
    (out / "leaky-vrp.cfg").write_text(vrp)
    tp = (
        GOLDEN_FILES["cisco_tp"].read_text()
        + f'*c xConfiguration SIP Authentication Password: "{LAB_SECRETS[0]}"\n'
    )
    (out / "leaky-codec.txt").write_text(tp)
    return out


def test_no_secret_in_any_report(tmp_path: Path) -> None:
    configs = _configs_with_secrets(tmp_path)
    assert any(s in (configs / "cpe-xa-bao-lam.cfg").read_text() for s in LAB_SECRETS)  # the test has teeth
    report = run_compliance(None, offline=configs, today=TODAY)
    leaky = next(d for d in report.devices if d.host == "leaky")
    assert {"IOS-SNMP-NO-RW", "IOS-ONE-LOCAL-ACCOUNT"} <= {r.rule.id for r in leaky.findings}
    for fmt in FORMATS:
        text = render_compliance(report, fmt)
        for secret in LAB_SECRETS:
            assert secret not in text, f"{secret} in --format {fmt}"
        assert "<redacted>" in text or "&lt;redacted&gt;" in text
    result = CliRunner().invoke(
        cli, ["-i", str(INVENTORY), "audit", "--compliance", "--offline", str(configs), "--format", "json"]
    )
    assert result.exit_code == 3
    assert not any(s in result.output for s in LAB_SECRETS)


def test_cli_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    run = CliRunner().invoke
    good = tmp_path / "good"
    good.mkdir()
    (good / "golden-ios.cfg").write_text(GOLDEN_FILES["cisco_ios"].read_text())
    low_only = tmp_path / "low"
    low_only.mkdir()
    (low_only / "r.cfg").write_text(
        GOLDEN_FILES["cisco_ios"]
        .read_text()
        .replace("service timestamps log datetime msec localtime show-timezone\n", "")
    )
    base = ["-i", str(tmp_path / "no-inventory"), "audit", "--compliance", "--offline"]
    assert run(cli, [*base, str(good)]).exit_code == 0
    assert run(cli, [*base, str(low_only)]).exit_code == 3  # default --fail-on low
    assert run(cli, [*base, str(low_only), "--fail-on", "medium"]).exit_code == 0
    assert run(cli, [*base, str(CORPUS / "cisco_ios"), "--fail-on", "high"]).exit_code == 3
    missing = run(cli, [*base, str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a directory" in missing.output
    bad_platform = run(cli, [*base, str(good), "--platform", "junos"])
    assert bad_platform.exit_code == 2 and "no rules for it" in bad_platform.output
    out = tmp_path / "r.html"
    assert run(cli, [*base, str(good), "--format", "html", "-o", str(out)]).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    drift_html = run(cli, ["-i", str(INVENTORY), "audit", "--format", "sarif"])
    assert drift_html.exit_code == 2 and "--compliance" in drift_html.output


def test_offline_without_dir_reads_the_latest_backups(tmp_path: Path) -> None:
    backups = tmp_path / "state" / "backups"
    backups.mkdir(parents=True)
    (backups / "cpe-xa-bao-lam.cfg").write_text(
        GOLDEN_FILES["cisco_ios"].read_text().replace("ip ssh version 2\n", "")
    )
    result = CliRunner().invoke(
        cli,
        [
            "-i",
            str(INVENTORY),
            "audit",
            "--compliance",
            "--offline",
            "--state-dir",
            str(tmp_path / "state"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 3, result.output
    doc = json.loads(result.output)
    (device,) = doc["devices"]
    assert device["host"] == "cpe-xa-bao-lam" and device["site"] == "xa-bao-lam" and device["role"] == "cpe"
    assert [r["rule"] for r in device["results"] if r["status"] == "fail"] == ["IOS-SSH-V2"]
