"""`--limit` follows Ansible's host patterns."""

from __future__ import annotations

import pytest

from infra.inventory import Inventory, PatternError


def names(inv: Inventory, pattern: str) -> set[str]:
    return {h.name for h in inv.select(pattern)}


def test_group_host_glob_union_intersection_exclusion(example_inventory: Inventory) -> None:
    inv = example_inventory
    assert names(inv, "core_routers") == {"dc-core-1", "dc-core-2"}
    assert names(inv, "dc-core-1") == {"dc-core-1"}
    assert names(inv, "dc-core-*") == {"dc-core-1", "dc-core-2"}
    assert names(inv, "core_routers:wan_hubs") == {"dc-core-1", "dc-core-2", "wan-hub-1"}
    assert names(inv, "core_routers,wan_hubs") == names(inv, "core_routers:wan_hubs")
    assert names(inv, "network:&core_routers") == {"dc-core-1", "dc-core-2"}
    cpes = names(inv, "cpe")
    assert names(inv, "cpe:!cpe_communes") == names(inv, "cpe_departments")
    assert names(inv, "cpe:!cpe-so-noi-vu") == cpes - {"cpe-so-noi-vu"}
    assert names(inv, "~^srv-log") == {"srv-log-1", "srv-log-2"}
    assert names(inv, "all") == set(inv.hosts)


def test_children_groups_are_members(example_inventory: Inventory) -> None:
    assert names(example_inventory, "network") >= names(example_inventory, "cpe_communes")


def test_unknown_pattern_is_a_clear_error(example_inventory: Inventory) -> None:
    with pytest.raises(PatternError, match="no-such-group"):
        example_inventory.select("no-such-group")
