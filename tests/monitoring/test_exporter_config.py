"""The rendered snmp-exporter.yml allows each auth exactly the devices Prometheus scrapes with it
(targets/snmp-*.json), so the exporter refuses every other target (issue 12, point 6)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from exporters.snmp import config
from infra.inventory import Inventory
from infra.monitoring.exporter_config import snmp_exporter_environment
from infra.monitoring.render import Rendered


def test_each_auth_is_allowed_exactly_its_scrape_targets(
    rendered: Rendered, rendered_dir: Path, example_inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    scraped: dict[str, set[str]] = {}
    for name, text in rendered.files.items():
        if name.startswith("targets/snmp-"):
            for group in json.loads(text):
                scraped.setdefault(group["labels"]["__param_auth"], set()).update(group["targets"])
    assert scraped, "the example province scrapes no device over SNMP"
    for key, value in snmp_exporter_environment(example_inventory).items():
        monkeypatch.setenv(key, value)
    cfg = config.load(
        [*map(str, config.bundled_files()), os.path.join(str(rendered_dir), "snmp-exporter.yml")]
    )
    assert set(cfg.allowed_targets) - {"public_v1", "public_v2"} == set(scraped)
    for auth, targets in scraped.items():
        allowed = cfg.allowed_targets[auth]
        assert {str(n.network_address) for n in allowed.networks} == targets
        assert all(allowed.allows(t) for t in targets)
        for other in ("127.0.0.1", "10.127.255.254", "192.0.2.1", "::1"):
            assert not allowed.allows(other), (auth, other)
