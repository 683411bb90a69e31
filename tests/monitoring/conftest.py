"""Helpers of the monitoring tests (the rendered example province is a fixture of tests/conftest.py)."""

from __future__ import annotations

import shutil

import pytest


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: run scripts/setup.sh"
        )  # a missing tool is a failure, not a skip
    return path
