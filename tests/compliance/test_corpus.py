"""Bad configurations with the exact findings they must give, and a robustness corpus of
real-world shapes (banners, certificates, `#` sections, unknown sections, garbage) that must
never crash the audit: a file that cannot be read is an AUDIT-UNPARSEABLE finding."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from infra.audit.compliance import run_compliance
from infra.audit.compliance.catalogue import rules_for
from infra.audit.compliance.engine import PLACEHOLDERS, audit_device
from infra.audit.compliance.parse import detect_platform, parse_network
from infra.audit.compliance.report import DeviceReport
from infra.drivers import configtree
from tests.compliance.helpers import FACTS, GOLDEN_FILES, HERE, TODAY, audit_text, failed_ids

CORPUS = HERE / "corpus"

# telnet on VTY, `snmp-server community public RW`, no password encryption, no NTP/syslog,
# HTTP server on, no banner (and each platform's equivalent): exactly these findings.
EXPECTED = {
    "cisco_ios": {
        "IOS-VTY-SSH-ONLY",
        "IOS-SNMP-NO-DEFAULT-COMMUNITY",
        "IOS-SNMP-NO-RW",
        "IOS-SNMPV3-PRIV",
        "IOS-PASSWORD-ENCRYPTION",
        "IOS-NTP-SERVERS",
        "IOS-SYSLOG-SERVERS",
        "IOS-NO-HTTP-SERVER",
        "IOS-LOGIN-BANNER",
    },
    "huawei_vrp": {
        "VRP-STELNET-ONLY",
        "VRP-VTY-SSH-ONLY",
        "VRP-SNMP-NO-DEFAULT-COMMUNITY",
        "VRP-SNMPV3-PRIV",
        "VRP-NO-PLAINTEXT-PASSWORD",
        "VRP-ONE-LOCAL-ACCOUNT",
        "VRP-NTP-SERVERS",
        "VRP-SYSLOG-SERVERS",
        "VRP-NO-HTTP-SERVER",
        "VRP-LOGIN-BANNER",
    },
    "frr": {
        "FRR-BGP-AUTH",
        "FRR-LOG-SYSLOG",
        "FRR-NO-DEFAULT-PASSWORD",
        "FRR-OSPF-AUTH",
        "FRR-PASSWORD-ENCRYPTION",
    },
    "linux": {
        "LNX-AUDITD",
        "LNX-NO-LEGACY-SERVICES",
        "LNX-REMOTE-LOG",
        "LNX-REMOTE-LOG-TLS",
        "LNX-SSH-BANNER",
        "LNX-SSH-ROOT-LOGIN",
        "LNX-TIME-SYNC",
    },
    "cisco_tp": {
        "TP-AUTO-ANSWER-OFF",
        "TP-NO-FACTORY-CREDENTIALS",
        "TP-SECURE-MANAGEMENT",
        "TP-SESSION-TIMEOUT",
        "TP-SNMP",
    },
}


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_bad_configuration_gives_exactly_the_expected_findings(platform: str) -> None:
    report = run_compliance(None, offline=CORPUS / platform, today=TODAY)
    assert len(report.devices) == 1
    device = report.devices[0]
    assert device.platform == platform  # told from the content
    assert failed_ids(device) == EXPECTED[platform]


def test_evidence_shows_the_offending_line_with_its_number() -> None:
    device = run_compliance(None, offline=CORPUS / "cisco_ios", today=TODAY).devices[0]
    rw = next(r for r in device.findings if r.rule.id == "IOS-SNMP-NO-RW")
    (ev,) = rw.evidence
    path = CORPUS / "cisco_ios" / "bad-baseline.cfg"
    assert ev.text == "snmp-server community public RW"
    assert path.read_text().splitlines()[ev.line - 1] == "snmp-server community public RW"
    telnet = next(r for r in device.findings if r.rule.id == "IOS-VTY-SSH-ONLY")
    assert any(e.text == "transport input telnet ssh" for e in telnet.evidence)
    assert "transport input ssh" in telnet.remediation


def test_robustness_corpus_never_crashes() -> None:
    report = run_compliance(None, offline=CORPUS / "robust", today=TODAY)
    by_host = {d.host: d for d in report.devices}
    assert set(by_host) == {p.name.removesuffix(".cfg") for p in (CORPUS / "robust").iterdir()}
    unparseable = {h for h, d in by_host.items() if "AUDIT-UNPARSEABLE" in failed_ids(d)}
    assert unparseable == {"empty", "garbage.bin", "not-a-config.json", "only-comments"}
    for host in unparseable:
        (finding,) = by_host[host].findings  # the only finding, with the reason as evidence
        assert finding.rule.severity.value == "high" and finding.evidence[0].text
    assert by_host["latin1"].platform == "cisco_ios"  # Latin-1 text is still text
    assert by_host["vrp-sections"].platform == "huawei_vrp"
    assert by_host["crlf-ios"].platform == "cisco_ios"
    crlf = by_host["crlf-ios"]
    assert "IOS-VTY-SSH-ONLY" not in failed_ids(crlf) and "IOS-IDLE-TIMEOUT" not in failed_ids(crlf)


def test_banner_text_is_not_read_as_commands() -> None:
    text = (CORPUS / "robust" / "ios-banners-and-pki.cfg").read_text()
    for parser in ("indent", "hier_config"):
        device = parse_network("odd", "cisco_ios", text, "test", parser=parser)
        top = [n.text.split("\n")[0] for n in device.tree]
        assert "ip http server" not in top
        assert sum(t.startswith("banner ") for t in top) == 3
        assert "crypto pki certificate chain TP-self-signed-1234" in top
    assert "IOS-NO-HTTP-SERVER" not in failed_ids(audit_text(text))


def test_a_text_hier_config_refuses_is_read_as_the_indentation_tree_and_said(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """hier_config refuses a section given twice (`DuplicateChildError`) or an unfinished banner
    (`ValueError`): the indentation tree reads it and a warning says why."""
    text = "hostname r1\ninterface Gi0/1\n shutdown\ninterface Gi0/1\n description twice\n"
    with caplog.at_level(logging.WARNING, logger="infra.drivers.configtree"):
        device = parse_network("d", "cisco_ios", text, "test", parser="hier_config")
    assert [n.text for n in device.tree] == ["hostname r1", "interface Gi0/1", "interface Gi0/1"]
    assert "Found a duplicate section" in caplog.text


def test_a_bug_in_hier_config_is_not_taken_for_an_unreadable_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr(configtree, "get_hconfig", broken)
    with pytest.raises(TypeError, match="a bug"):
        parse_network("d", "cisco_ios", "hostname r1\n", "test", parser="hier_config")


def test_long_acl_and_random_garbage_lines_do_not_crash() -> None:
    rng = random.Random(4)
    acl = "".join(f" {i} permit tcp any host 10.0.{i % 250}.{i % 200} eq 443\n" for i in range(1, 5001))
    noise = "".join(
        "".join(rng.choice(" \t!#^abcXYZ019-/:") for _ in range(rng.randrange(1, 60))) + "\n"
        for _ in range(500)
    )
    text = GOLDEN_FILES["cisco_ios"].read_text() + "ip access-list extended BIG\n" + acl + noise
    report = audit_text(text, "cisco_ios")
    assert report.platform == "cisco_ios"
    assert "AUDIT-UNPARSEABLE" not in failed_ids(report)


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("frr version 8.4.4\nfrr defaults traditional\nhostname r1\n", "frr"),
        ("hostname r1\nservice integrated-vtysh-config\ninterface eth0\nexit\n", "frr"),
        ("!\nversion 15.2\nhostname r1\n!\nend\n", "cisco_ios"),
        ("#\nsysname HUAWEI\n#\nreturn\n", "huawei_vrp"),
        ("*c xConfiguration Conference AutoAnswer Mode: Off\n", "cisco_tp"),
        ("xConfiguration Audio DefaultVolume: 50\n", "cisco_tp"),
        ("Port 22\nPermitRootLogin no\n", "linux"),
        ("just some text\n", None),
    ],
)
def test_platform_is_told_from_content(text: str, platform: str | None) -> None:
    assert detect_platform(text) == platform


def test_platform_option_overrides_detection(tmp_path: Path) -> None:
    (tmp_path / "r1.cfg").write_text("interface uplink\n description to the core\n")  # tells nothing
    undetected = run_compliance(None, offline=tmp_path, today=TODAY).devices[0]
    assert failed_ids(undetected) == {"AUDIT-UNPARSEABLE"}
    named = run_compliance(None, offline=tmp_path, platform="frr", today=TODAY).devices[0]
    assert named.platform == "frr" and "AUDIT-UNPARSEABLE" not in failed_ids(named)


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp", "frr"])
def test_hier_config_parser_gives_the_same_findings(platform: str) -> None:
    """The fast indentation tree and hier_config's tree agree on every bad and golden config."""
    texts = [GOLDEN_FILES[platform].read_text(), (CORPUS / platform / "bad-baseline.cfg").read_text()]
    texts += [
        p.read_text(errors="replace")
        for p in [*(CORPUS / "robust").glob("*.cfg"), *(CORPUS / "real_world").iterdir()]
        if detect_platform(p.read_text(errors="replace")) == platform
    ]
    for text in texts:
        results = []
        for parser in ("indent", "hier_config"):
            device = parse_network("d", platform, text, "test", parser=parser)
            report = audit_device(
                device,
                DeviceReport("d", platform, "test", role="cpe"),
                rules_for(platform),
                facts=FACTS,
                today=TODAY,
                context=PLACEHOLDERS,
            )
            results.append({(r.rule.id, r.status.value) for r in report.results})
        assert results[0] == results[1]
