"""The intended configurations pass: every network device of the example province, rendered by
`infra render` for cisco_ios, huawei_vrp and frr, has zero findings (the baseline is built into
the templates, and the audit agrees with them)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from infra.audit.compliance.catalogue import rules_for
from infra.audit.compliance.checks import Facts
from infra.audit.compliance.report import Status
from infra.audit.compliance.run import Job, audit_job, baseline_context
from infra.inventory import Inventory
from infra.inventory.models import Platform
from infra.render import render_host


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.HUAWEI_VRP, Platform.FRR])
def test_rendered_configs_pass_every_rule(example_inventory: Inventory, platform: Platform) -> None:
    inv = example_inventory
    findings: dict[str, list[str]] = {}
    applied: Counter[str] = Counter()
    hosts = [h for h in inv.hosts.values() if h.is_network_device]
    assert len(hosts) >= 30
    for host in hosts:
        text = render_host(inv, host.name, platform, mask_secrets=True)
        job = Job(
            host.name,
            "render",
            text=text,
            platform=platform.value,
            site=host.site,
            role=host.role.value,
            facts=Facts({i.name: i.kind for i in inv.interfaces[host.name]}),
        )
        # interface names follow the rendered platform, so take the kinds from the rendered names too
        report = audit_job(job, date(2026, 11, 22), baseline_context(inv))
        assert report.platform == platform.value
        for r in report.results:
            if r.status is Status.FAIL:
                findings.setdefault(host.name, []).append(f"{r.rule.id}: {[e.text for e in r.evidence][:3]}")
            elif r.status is Status.PASS:
                applied[r.rule.id] += 1
    assert findings == {}
    if platform is not Platform.FRR:  # the edge rules ran on the CPEs' carrier interfaces
        edge = "IOS-EXTERNAL-URPF" if platform is Platform.CISCO_IOS else "VRP-EXTERNAL-URPF"
        assert applied[edge] >= 20
    # and the rules did run: every rule of the platform passed on at least one device
    # (except those for roles or features the province does not have on this platform)
    never = {r.id for r in rules_for(platform.value)} - set(applied)
    assert never <= {
        "IOS-ACCESS-PORT-VLAN",
        "IOS-UNUSED-PORTS",
        "IOS-BPDU-GUARD",
        "IOS-DHCP-SNOOPING",
        "IOS-STORM-CONTROL",
        "VRP-ACCESS-PORT-VLAN",
        "VRP-EDGE-PORT-PROTECTION",
        "FRR-PASSWORD-ENCRYPTION",
        "FRR-IDLE-TIMEOUT",
    }, never


@pytest.mark.parametrize("platform", [Platform.CISCO_IOS, Platform.HUAWEI_VRP, Platform.FRR])
def test_rendered_configs_are_told_from_their_content(
    example_inventory: Inventory, platform: Platform
) -> None:
    """The platform guesser, on every network device of the example province as `infra render`
    writes it for each platform: the content alone tells the platform."""
    from infra.audit.compliance.parse import detect_platform

    inv = example_inventory
    wrong = {
        host.name: detect_platform(render_host(inv, host.name, platform, mask_secrets=True))
        for host in inv.hosts.values()
        if host.is_network_device
    }
    assert {h: p for h, p in wrong.items() if p != platform.value} == {}
