"""The exporter tests' own helpers: in CI a missing tool fails the test instead of skipping it."""

from __future__ import annotations

import pytest
from snmp_testlib import missing_tool


def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"snmpd is not installed.*CI=true"):
        missing_tool("snmpd is not installed")


def test_a_missing_tool_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="snmpd is not installed"):
        missing_tool("snmpd is not installed")
