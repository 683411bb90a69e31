"""The device name of an offline file does not depend on how the folder is spelled (`configs`,
`./configs/`, an absolute path): waivers and `--limit` match the inventory's host names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.audit.compliance import run_compliance
from infra.audit.compliance.report import Status
from infra.inventory import load_inventory
from tests.compliance.helpers import GOLDEN_FILES, TODAY
from tests.conftest import INVENTORY


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    configs = tmp_path / "configs"
    (configs / "dc").mkdir(parents=True)
    text = GOLDEN_FILES["cisco_ios"].read_text().replace("ip ssh version 2\n", "")
    (configs / "cpe-xa-bao-lam.cfg").write_text(text)
    (configs / "dc" / "dc-core-1.cfg").write_text(text)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


SPELLINGS = ["configs", "./configs/", "configs/", "ABSOLUTE", "./configs/../configs"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_names_do_not_depend_on_the_folder_spelling(in_tmp: Path, spelling: str) -> None:
    directory = Path(str(in_tmp / "configs") if spelling == "ABSOLUTE" else spelling)
    report = run_compliance(None, offline=directory, today=TODAY)
    assert sorted(d.host for d in report.devices) == ["cpe-xa-bao-lam", "dc-core-1"]


@pytest.mark.parametrize("spelling", ["configs", "./configs/", "ABSOLUTE"])
def test_limit_and_waivers_match_whatever_the_spelling(in_tmp: Path, spelling: str) -> None:
    import shutil

    import yaml

    inv_dir = in_tmp / "inventory"
    shutil.copytree(INVENTORY, inv_dir)
    host_vars = inv_dir / "host_vars" / "cpe-xa-bao-lam.yml"
    data = yaml.safe_load(host_vars.read_text()) if host_vars.exists() else {}
    data["compliance_waivers"] = [{"rule": "IOS-SSH-V2", "reason": "ticket 1", "expires": "2027-01-01"}]
    host_vars.write_text(yaml.safe_dump(data))
    inv = load_inventory(inv_dir)
    directory = Path(str(in_tmp / "configs") if spelling == "ABSOLUTE" else spelling)
    report = run_compliance(inv, offline=directory, limit="cpe-xa-bao-lam", today=TODAY)
    (device,) = report.devices
    assert device.host == "cpe-xa-bao-lam" and device.site == "xa-bao-lam"
    ssh = next(r for r in device.results if r.rule.id == "IOS-SSH-V2")
    assert ssh.status is Status.WAIVED
