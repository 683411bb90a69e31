"""Shared helpers for the compliance tests: golden configurations, edits, auditing one text."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from infra.audit.compliance.checks import Facts
from infra.audit.compliance.engine import PLACEHOLDERS
from infra.audit.compliance.linux import read_tree
from infra.audit.compliance.report import DeviceReport
from infra.audit.compliance.run import Job, audit_job

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
GOLDEN_FILES = {
    "cisco_ios": GOLDEN / "cisco_ios.cfg",
    "huawei_vrp": GOLDEN / "huawei_vrp.cfg",
    "frr": GOLDEN / "frr.cfg",
    "cisco_tp": GOLDEN / "cisco_tp.txt",
    "linux": GOLDEN / "linux",
}
ROLES = {
    "cisco_ios": "cpe",
    "huawei_vrp": "firewall",
    "frr": "cpe",
    "cisco_tp": "vc_endpoint",
    "linux": "server",
}
# What the inventory would say about the golden devices' interfaces.
FACTS = Facts(
    {
        "GigabitEthernet0/0": "carrier_access",
        "GigabitEthernet0/0/0": "carrier_access",
        "ge0-0-0": "carrier_access",
        "GigabitEthernet0/1": "p2p",
        "GigabitEthernet0/0/1": "p2p",
    }
)
TODAY = date(2026, 11, 22)


def edit(text: str, case: dict[str, Any]) -> str:
    lines = text.splitlines()
    for pattern in case.get("remove", []):
        lines = [ln for ln in lines if not re.search(pattern, ln)]
    for pattern, repl in case.get("replace", {}).items():
        lines = [re.sub(pattern, repl, ln) for ln in lines]
    for anchor, new in case.get("after", {}).items():
        i = next(n for n, ln in enumerate(lines) if re.search(anchor, ln))
        lines[i + 1 : i + 1] = new
    if case.get("add"):
        end = len(lines)
        while end and lines[end - 1].strip() in ("end", "return", ""):
            end -= 1
        lines[end:end] = case["add"]
    return "\n".join(lines) + "\n"


def golden_files(platform: str) -> dict[str, str]:
    return read_tree(GOLDEN_FILES[platform])


def audit_text(text: str, platform: str | None = None, name: str = "device", **job: Any) -> DeviceReport:
    return audit_job(Job(name, "test", text=text, platform=platform, **job), TODAY, PLACEHOLDERS)


def audit_files(files: dict[str, str], name: str = "server", **job: Any) -> DeviceReport:
    return audit_job(Job(name, "test", files=files, platform="linux", **job), TODAY, PLACEHOLDERS)


def audit_golden(platform: str, case: dict[str, Any] | None = None) -> DeviceReport:
    job: dict[str, Any] = {"role": ROLES[platform], "facts": FACTS}
    if platform == "linux":
        files = golden_files("linux")
        if case:
            files[case["file"]] = edit(files.get(case["file"], ""), case)
        return audit_files(files, **job)
    text = GOLDEN_FILES[platform].read_text(encoding="utf-8")
    return audit_text(edit(text, case) if case else text, platform if platform != "frr" else None, **job)


def failed_ids(report: DeviceReport) -> set[str]:
    return {r.rule.id for r in report.findings}
