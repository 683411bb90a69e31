"""Inventory labels every target, series and alert carries: the handles for grouping and inhibition."""

from __future__ import annotations

from infra.inventory import Host, Inventory


def host_labels(inv: Inventory, host: Host) -> dict[str, str]:
    """`host`, `site`, `agency` (when the site belongs to one), `role`, `platform`."""
    labels = {
        "host": host.name,
        "site": host.site,
        "role": str(host.role),
        "platform": str(host.platform),
    }
    site = inv.sites.get(host.site)
    if site is not None and site.agency:
        labels["agency"] = site.agency
    return labels


def site_agency(inv: Inventory, site_name: str) -> str | None:
    site = inv.sites.get(site_name)
    return site.agency if site is not None else None


def interface_name_on_device(inv: Inventory, name: str, lab_name: str) -> str:
    """The ifName the device reports: the Linux name when the lab plays the device."""
    return lab_name if inv.province.lab else name
