"""Ansible and infra see the same hosts, groups and variables (`ansible-inventory --list`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.inventory import Inventory
from infra.inventory.layout import read_layout
from infra.inventory.source import VaultText
from tests.conftest import INVENTORY


def _plain(value: Any) -> Any:
    """Our loaded value in the shape ansible-inventory prints it."""
    if isinstance(value, VaultText):
        return {"__ansible_vault": value.ciphertext}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _ansible_list() -> dict[str, Any]:
    exe = Path(sys.executable).parent / "ansible-inventory"
    out = subprocess.run(
        [str(exe), "-i", str(INVENTORY), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "ANSIBLE_LOCALHOST_WARNING": "false"},
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_same_hosts_groups_and_variables(example_inventory: Inventory) -> None:
    ansible = _ansible_list()
    hostvars = ansible["_meta"]["hostvars"]
    assert set(hostvars) == set(example_inventory.hosts)

    # every group with the same direct hosts and children
    raw = read_layout(INVENTORY)
    for name, body in ansible.items():
        if name == "_meta":
            continue
        group = raw.groups[name]
        assert sorted(body.get("hosts", [])) == sorted(group.hosts), name
        assert sorted(body.get("children", [])) == sorted(group.children), name
    # membership through children, as --limit uses it
    for name in ansible:
        if name not in ("_meta", "all", "ungrouped"):
            assert set(example_inventory.groups[name]) == _expand(ansible, name), name

    # every variable of every host, with the same precedence
    for host, theirs in hostvars.items():
        ours = _plain(raw.host_vars[host])
        assert ours == theirs, host
        model = example_inventory.hosts[host]
        assert str(model.mgmt_address) == theirs["ansible_host"]
        assert (model.role.value, model.site, model.platform.value) == (
            theirs["role"],
            theirs["site"],
            theirs["platform"],
        )


def _expand(listing: dict[str, Any], group: str) -> set[str]:
    out = set(listing[group].get("hosts", []))
    for child in listing[group].get("children", []):
        out |= _expand(listing, child)
    return out
