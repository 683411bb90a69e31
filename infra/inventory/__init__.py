"""The province inventory: load, type and check the Ansible inventory (the single source of truth)."""

from infra.inventory.errors import InventoryError, Problem
from infra.inventory.inventory import Inventory
from infra.inventory.load import load_inventory
from infra.inventory.models import Host, Platform, Role
from infra.inventory.patterns import PatternError
from infra.inventory.topology import BgpSession, Interface

__all__ = [
    "BgpSession",
    "Host",
    "Interface",
    "Inventory",
    "InventoryError",
    "PatternError",
    "Platform",
    "Problem",
    "Role",
    "load_inventory",
]
