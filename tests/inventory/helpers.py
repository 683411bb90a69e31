"""Helpers for inventory tests: a scratch copy of the example province to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from infra.cli import cli
from tests.conftest import INVENTORY


def copy_inventory(tmp_path: Path) -> Path:
    dest = tmp_path / "inventory"
    shutil.copytree(INVENTORY, dest)
    return dest


def edit_yaml(path: Path, change: Any) -> None:
    """Load a YAML file, let `change` edit it (in place), write it back (vault tags kept as text)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)
