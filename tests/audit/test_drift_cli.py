"""The CLI of the drift audit: exit codes 0/1/3, JSON and JUnit, offline from the backups."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.deploy.fake_cli import invoke
from tests.deploy.fakes import FakeNetwork


def test_audit_drift_formats_and_exit_codes(fake: FakeNetwork, tmp_path: Path) -> None:
    invoke("deploy", "-l", "dc-core-1,dc-core-2")
    r = invoke("audit", "-l", "dc-core-1,dc-core-2")
    assert r.exit_code == 0, r.output
    fake.configs["dc-core-1"] = fake.configs["dc-core-1"].replace("hostname dc-core-1", "hostname x")
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--format", "json")
    assert r.exit_code == 3
    doc = json.loads(r.output)
    status = {c["host"]: c["status"] for c in doc["checks"]}
    assert status == {"dc-core-1": "fail", "dc-core-2": "pass"}
    out = tmp_path / "drift.xml"
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--format", "junit", "-o", str(out))
    assert r.exit_code == 3
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "2"
    failure = suite.find("testcase[@name='dc-core-1']/failure")
    assert failure is not None and "+ hostname dc-core-1" in (failure.text or "")
    # offline: from the backups the deploy committed (the hand change is not in them)
    r = invoke("audit", "-l", "dc-core-1,dc-core-2", "--offline")
    assert r.exit_code == 0, r.output
    fake.down.add("dc-core-2")
    assert invoke("audit", "-l", "dc-core-2").exit_code == 1  # could not read: error, not drift
