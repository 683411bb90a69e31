"""Fixtures of the monitoring tests: the example province rendered once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.inventory import Inventory
from infra.monitoring import RenderOptions, render_monitoring, write_monitoring
from infra.monitoring.render import Rendered


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: run scripts/setup.sh"
        )  # a missing tool is a failure, not a skip
    return path


@pytest.fixture(scope="session")
def rendered(example_inventory: Inventory) -> Rendered:
    return render_monitoring(example_inventory, RenderOptions())


@pytest.fixture(scope="session")
def rendered_dir(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monitoring")
    write_monitoring(rendered, out)
    return out
