"""`infra render`: files per device, masked by default, real secrets only on request into 0600 files."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import LAB_SECRETS
from tests.inventory.helpers import run


def test_render_writes_one_masked_file_per_device(tmp_path: Path) -> None:
    out = tmp_path / "intended"
    result = run("render", "--limit", "network", "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.cfg"))
    assert len(files) == 32
    assert "wan-hub-1" in result.output and "secrets masked" in result.output
    for f in files:
        assert not [s for s in LAB_SECRETS if s in f.read_text()], f
    assert (out / "wan-hub-1.cfg").read_text().startswith("hostname wan-hub-1\n")


def test_render_prints_configs_and_json_without_secrets() -> None:
    result = run("render", "-l", "wan-hub-1", "--platform", "frr")
    assert result.exit_code == 0 and "hostname wan-hub-1" in result.output
    data = json.loads(run("--format", "json", "render", "-l", "cpe_communes").output)
    assert len(data) == 10 and data[0]["config"].startswith("hostname ")
    for text in (result.output, json.dumps(data)):
        assert not [s for s in LAB_SECRETS if s in text]


def test_with_secrets_writes_private_files_and_prints_none(tmp_path: Path) -> None:
    out = tmp_path / "push"
    result = run("render", "-l", "wan-hub-1", "--out", str(out), "--with-secrets")
    assert result.exit_code == 0, result.output
    path = out / "wan-hub-1.cfg"
    assert "LabOspf8" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [s for s in LAB_SECRETS if s in result.output]


def test_bad_input_exits_2_with_a_message() -> None:
    result = run("render", "--with-secrets")
    assert result.exit_code == 2 and "--out" in result.output
    result = run("render", "-l", "servers")
    assert result.exit_code == 2 and "no network device" in result.output
    result = run("render", "-l", "nosuchhost")
    assert result.exit_code == 2
