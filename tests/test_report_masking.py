"""Test output is output: a failing comparison of device configs must not print the lab's keys."""

from __future__ import annotations

import pytest

from tests.conftest import LAB_SECRETS, mask_report


def test_a_failure_and_its_captured_output_are_printed_without_secrets() -> None:
    report = pytest.TestReport(
        nodeid="tests/x.py::t",
        location=("tests/x.py", 1, "t"),
        keywords={},
        outcome="failed",
        longrepr=f"assert ' ip ospf message-digest-key 1 md5 {LAB_SECRETS[5]}' == ''",
        when="call",
        sections=[("Captured stdout call", f"password {LAB_SECRETS[0]}\nhostname cpe-1")],
    )
    mask_report(report)
    printed = str(report.longrepr) + "".join(content for _, content in report.sections)
    assert "md5 <secret>" in printed and "hostname cpe-1" in printed
    assert not [s for s in LAB_SECRETS if s in printed]
