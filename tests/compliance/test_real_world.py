"""Real-world shaped configurations (tests/compliance/corpus/real_world): OSPF enabled by
`network` statements, `line console`, telnet on lines other than the VTYs, FRR files without a
`frr version` header, and platforms the audit has no rules for. Each file gives exactly these
findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from infra.audit.compliance import run_compliance
from infra.audit.compliance.parse import detect_platform
from infra.audit.compliance.report import DeviceReport, Status
from infra.cli import cli
from tests.compliance.helpers import HERE, TODAY, audit_text, failed_ids

REAL_WORLD = HERE / "corpus" / "real_world"
UNPARSEABLE = {"AUDIT-UNPARSEABLE"}

EXPECTED: dict[str, tuple[str, set[str]]] = {
    "ios-branch-no-snmp": ("cisco_ios", set()),
    "ios-ospf-network-noauth": ("cisco_ios", {"IOS-OSPF-AUTH", "IOS-IDLE-TIMEOUT", "IOS-VTY-SSH-ONLY"}),
    "ios-ospf-network-area-auth": ("cisco_ios", set()),
    "frr-from-template": ("frr", {"FRR-OSPF-AUTH"}),
    "frr-ospfd-handwritten": ("frr", {"FRR-OSPF-AUTH", "FRR-VTY-ACCESS-CLASS"}),
    "frr-network-area-auth": ("frr", set()),
    "vrp-ospf-network-noauth": (
        "huawei_vrp",
        {
            "VRP-OSPF-AUTH",
            "VRP-SSH-CIPHERS",
            "VRP-VTY-ACL",
            "VRP-LOGIN-LOCKOUT",
            "VRP-AAA-SERVERS",
            "VRP-CMD-ACCOUNTING",
            "VRP-LOGIN-BANNER",
            "VRP-NTP-SERVERS",
        },
    ),
    "junos-set": ("junos", UNPARSEABLE),
    "junos-curly": ("junos", UNPARSEABLE),
    "fortigate-dc-fw": ("fortios", UNPARSEABLE),
}


@pytest.fixture(scope="module")
def devices() -> dict[str, DeviceReport]:
    return {d.host: d for d in run_compliance(None, offline=REAL_WORLD, today=TODAY).devices}


def test_every_real_world_file_has_its_expectation(devices: dict[str, DeviceReport]) -> None:
    assert set(devices) == set(EXPECTED)


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_real_world_file_gives_exactly_its_findings(devices: dict[str, DeviceReport], host: str) -> None:
    platform, findings = EXPECTED[host]
    assert devices[host].platform == platform
    assert failed_ids(devices[host]) == findings


def _evidence(device: DeviceReport, rule: str) -> str:
    return "\n".join(e.text for r in device.findings if r.rule.id == rule for e in r.evidence)


# ---- OSPF enabled by `network ... area ...` statements ------------------------------------------
def test_ios_ospf_by_network_statements_needs_authentication(devices: dict[str, DeviceReport]) -> None:
    evidence = _evidence(devices["ios-ospf-network-noauth"], "IOS-OSPF-AUTH")
    # the two transit interfaces; not the passive LAN, the loopback or the shut port
    assert "interface GigabitEthernet0/0:" in evidence and "interface GigabitEthernet0/1:" in evidence
    assert "GigabitEthernet0/2" not in evidence and "Loopback0" not in evidence and "0/3" not in evidence
    remediation = next(r for r in devices["ios-ospf-network-noauth"].findings if r.rule.id == "IOS-OSPF-AUTH")
    assert "interface GigabitEthernet0/1\n ip ospf authentication message-digest" in remediation.remediation
    ok = next(r for r in devices["ios-ospf-network-area-auth"].results if r.rule.id == "IOS-OSPF-AUTH")
    assert ok.status is Status.PASS  # area 0 authentication message-digest + message-digest-key


def test_ios_area_authentication_still_needs_the_interface_key() -> None:
    text = (REAL_WORLD / "ios-ospf-network-area-auth.cfg").read_text()
    text = text.replace(" ip ospf message-digest-key 1 md5 7 0822455D0A16\n", "", 1)
    evidence = _evidence(audit_text(text), "IOS-OSPF-AUTH")
    assert "interface GigabitEthernet0/0: missing" in evidence and "GigabitEthernet0/1" not in evidence


def test_ios_passive_interface_default_checks_only_the_active_ones() -> None:
    text = (REAL_WORLD / "ios-ospf-network-noauth.cfg").read_text()
    text = text.replace(
        " passive-interface GigabitEthernet0/2\n",
        " passive-interface default\n no passive-interface GigabitEthernet0/1\n",
    )
    evidence = _evidence(audit_text(text), "IOS-OSPF-AUTH")
    assert "interface GigabitEthernet0/1:" in evidence and "GigabitEthernet0/0" not in evidence


def test_frr_and_vrp_ospf_by_network_statements_need_authentication(
    devices: dict[str, DeviceReport],
) -> None:
    frr = _evidence(devices["frr-from-template"], "FRR-OSPF-AUTH")
    assert "interface eth0:" in frr and "eth1" not in frr and "interface lo" not in frr
    vrp = _evidence(devices["vrp-ospf-network-noauth"], "VRP-OSPF-AUTH")
    assert "interface GigabitEthernet0/0/1:" in vrp and "0/0/2" not in vrp and "LoopBack" not in vrp
    area_auth = devices["frr-network-area-auth"]
    assert next(r.status for r in area_auth.results if r.rule.id == "FRR-OSPF-AUTH") is Status.PASS


def test_frr_passive_default_checks_interfaces_made_active_either_way() -> None:
    text = (REAL_WORLD / "frr-network-area-auth.conf").read_text()
    assert failed_ids(audit_text(text)) == set()
    # eth1 made active in the interface (FRR 8+) instead of under router ospf, without a key
    active = text.replace(" description LAN UBND xa\n", " description LAN UBND xa\n no ip ospf passive\n")
    assert "interface eth1: missing" in _evidence(audit_text(active), "FRR-OSPF-AUTH")
    # the older spelling under router ospf
    listed = text.replace(
        " no passive-interface eth0\n", " no passive-interface eth0\n no passive-interface eth1\n"
    )
    assert "interface eth1: missing" in _evidence(audit_text(listed), "FRR-OSPF-AUTH")


def test_ospf_network_that_covers_no_interface_is_not_applicable() -> None:
    text = (REAL_WORLD / "ios-ospf-network-noauth.cfg").read_text()
    text = text.replace(" network 10.124.7.0 0.0.0.7 area 0\n", " network 192.0.2.0 0.0.0.255 area 0\n")
    text = text.replace(" network 10.65.7.0 0.0.0.255 area 0\n", "")
    report = audit_text(text)
    ospf = next(r for r in report.results if r.rule.id == "IOS-OSPF-AUTH")
    assert ospf.status is Status.NOT_APPLICABLE, ospf.evidence


# ---- line sections: console spellings, telnet on other lines -----------------------------------
@pytest.mark.parametrize("line", ["line con 0", "line console 0"])
def test_console_line_is_recognised_in_both_spellings(line: str) -> None:
    text = (REAL_WORLD / "ios-branch-no-snmp.cfg").read_text()
    text = text.replace("line con 0\n exec-timeout 10 0\n", f"{line}\n exec-timeout 0 0\n")
    report = audit_text(text)
    assert failed_ids(report) == {"IOS-IDLE-TIMEOUT"}
    assert f"{line}: exec-timeout 0 0" in _evidence(report, "IOS-IDLE-TIMEOUT")
    finding = next(r for r in report.findings if r.rule.id == "IOS-IDLE-TIMEOUT")
    assert f"{line}\n exec-timeout 10 0" in finding.remediation


@pytest.mark.parametrize(
    ("line", "transport"),
    [
        ("line aux 0", "transport input all"),
        ("line aux 0", "transport input telnet"),
        ("line 1 16", "transport input telnet ssh"),
        ("line tty 2", "transport input all"),
        ("line con 0", "transport input telnet"),
    ],
)
def test_telnet_on_lines_other_than_vty_is_cited(line: str, transport: str) -> None:
    text = (REAL_WORLD / "ios-branch-no-snmp.cfg").read_text()
    text = text.replace("line aux 0\n", "line aux 0\n transport input none\n")
    if f"{line}\n" in text:  # a line the file has: add the transport to it
        text = text.replace(f"{line}\n", f"{line}\n {transport}\n")
    else:
        text = text.replace("line vty 0 4\n", f"{line}\n {transport}\nline vty 0 4\n")
    report = audit_text(text)
    assert failed_ids(report) == {"IOS-VTY-SSH-ONLY"}
    assert f"{line}: {transport}" in _evidence(report, "IOS-VTY-SSH-ONLY")
    finding = next(r for r in report.findings if r.rule.id == "IOS-VTY-SSH-ONLY")
    assert f"{line}\n transport input none" in finding.remediation


def test_lines_without_telnet_pass() -> None:
    text = (REAL_WORLD / "ios-branch-no-snmp.cfg").read_text()
    text = text.replace("line aux 0\n", "line aux 0\n no exec\n transport input none\n")
    text = text.replace("line vty 0 4\n", "line 1 16\n transport input ssh\nline vty 0 4\n")
    assert failed_ids(audit_text(text)) == set()


# ---- platform detection --------------------------------------------------------------------------
FRR_WITHOUT_HEADER = [
    # a template-written frr.conf: prefixes on interfaces, router ospf without a process id
    "hostname r1\n!\ninterface eth0\n ip address 10.0.0.1/30\n!\nrouter ospf\n network 10.0.0.0/30 area 0\n",
    # interface-level OSPF, `exit` section ends (FRR 8+), no header
    "interface ens3\n ip ospf area 0\n ip ospf network point-to-point\nexit\n!\nrouter ospf\n"
    " ospf router-id 10.0.0.1\nexit\n",
    # BGP only, as FRR prints it
    "hostname r2\nip forwarding\n!\nrouter bgp 65001\n no bgp ebgp-requires-policy\n"
    " neighbor 10.0.0.2 remote-as 65002\nexit\n!\nline vty\n!\n",
    # a Quagga-era ospfd.conf
    "! Zebra configuration saved from vty\n!\nhostname ospfd\nlog file /var/log/quagga/ospfd.log\n",
]


@pytest.mark.parametrize("text", FRR_WITHOUT_HEADER)
def test_frr_without_frr_version_is_recognised(text: str) -> None:
    assert "frr version" not in text and "integrated-vtysh" not in text
    assert detect_platform(text) == "frr"


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        # IOS-XE `show running-config` head, no `version` line kept
        ("Building configuration...\n\nCurrent configuration : 9123 bytes\n!\nhostname sw1\n", "cisco_ios"),
        (
            "hostname r1\n!\ninterface GigabitEthernet0/0\n ip address 10.0.0.1 255.255.255.252\n"
            " ip ospf 1 area 0\n!\nline vty 0 4\n transport input ssh\n",
            "cisco_ios",
        ),
        ("#\n sysname core\n#\ninterface Vlanif10\n ip address 10.0.0.1 255.255.255.0\n#\n", "huawei_vrp"),
        (
            "!Command: show running-config\n!Time: Mon Nov  2 2026\nversion 9.3(8)\nfeature ospf\n",
            "cisco_nxos",
        ),
        (
            ": Saved\n:\nASA Version 9.16(4)\n!\nhostname fw1\n"
            "interface GigabitEthernet0/0\n nameif outside\n",
            "cisco_asa",
        ),
        (
            "!! IOS XR Configuration 7.3.2\n!\nhostname pe1\ninterface GigabitEthernet0/0/0/0\n"
            " ipv4 address 10.0.0.1 255.255.255.252\n!\nrouter ospf 1\n area 0\n",
            "cisco_xr",
        ),
        (
            "! device: leaf1 (DCS-7050SX3-48YC8, EOS-4.28.3M)\n!\nhostname leaf1\n!\n"
            "interface Ethernet1\n ip address 10.0.0.1/31\n!\nmanagement api http-commands\n",
            "arista_eos",
        ),
        ("interface uplink\n description to the core\n", None),
    ],
)
def test_platform_is_scored_from_its_markers(text: str, platform: str | None) -> None:
    assert detect_platform(text) == platform


def test_unsupported_platform_is_named_not_sent_to_platform_option(devices: dict[str, DeviceReport]) -> None:
    for host, name in (("junos-set", "junos"), ("junos-curly", "junos"), ("fortigate-dc-fw", "fortios")):
        (finding,) = devices[host].findings
        reason = finding.evidence[0].text
        assert reason.startswith(f"unsupported platform: {name}"), reason
        assert "--platform" not in reason and "--platform" not in finding.remediation
        assert devices[host].platform == name


def test_platform_option_on_a_file_unlike_it_warns_on_stderr(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "r1.cfg").write_text((REAL_WORLD / "frr-from-template.conf").read_text())
    (configs / "sw1.cfg").write_text((REAL_WORLD / "ios-branch-no-snmp.cfg").read_text())
    base = ["-i", str(tmp_path / "no-inventory"), "audit", "--compliance", "--offline", str(configs)]
    result = CliRunner().invoke(cli, [*base, "--platform", "cisco_ios", "--format", "json"])
    assert result.exit_code == 3, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert str(configs / "r1.cfg") in warnings[0] and "looks like frr" in warnings[0]
    assert "warning" not in result.stdout.split("{", 1)[0]  # JSON on stdout stays parseable
    assert CliRunner().invoke(cli, base).stderr == ""  # no --platform: no warning
