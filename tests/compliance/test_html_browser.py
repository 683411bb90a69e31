"""The HTML report in a real browser: headless Chromium renders it to a screenshot."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from infra.audit.compliance import render_compliance, run_compliance
from infra.inventory import load_inventory
from tests.compliance.helpers import HERE, TODAY
from tests.conftest import INVENTORY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html: Path, png: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=1280,2000",
            html.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_html_report_renders_in_chromium(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
    configs = tmp_path / "configs"
    shutil.copytree(HERE / "corpus", configs)
    report = run_compliance(load_inventory(INVENTORY), offline=configs, today=TODAY)
    html = tmp_path / "compliance.html"
    html.write_text(render_compliance(report, "html"), encoding="utf-8")
    png = tmp_path / "compliance.png"
    result = screenshot(html, png, tmp_path / "profile")
    assert png.exists(), result.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 60_000  # a blank page compresses to a few KB; text, tables and bars do not
