"""Views of the inventory for people: the province summary, host listings, one host in full, graphs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from infra.inventory.inventory import Inventory
from infra.inventory.models import SECRET_FIELDS, Host
from infra.inventory.secrets import MASK


def summary(inv: Inventory) -> dict[str, Any]:
    roles = Counter(h.role.value for h in inv.hosts.values())
    platforms = Counter(h.platform.value for h in inv.hosts.values())
    kinds = Counter(s.kind.value for s in inv.sites.values())
    return {
        "province": inv.province.name,
        "lab": inv.province.lab,
        "hosts": len(inv.hosts),
        "groups": len([g for g in inv.groups if g not in ("all", "ungrouped")]),
        "sites": dict(sorted(kinds.items())),
        "roles": dict(sorted(roles.items())),
        "platforms": dict(sorted(platforms.items())),
        "links": len(inv.links),
        "wan_vpn_tunnels": len(inv.wan_vpn.tunnels) if inv.wan_vpn else 0,
        "vlans": len(inv.vlans),
        "bgp_sessions": sum(len(s) for s in inv.bgp_sessions.values()) // 2,
        "ospf_areas": sorted({a for h in inv.hosts for a in inv.ospf_areas(h)}),
        "address_space": str(inv.pools.lab_space),
    }


def host_row(h: Host) -> dict[str, Any]:
    return {
        "host": h.name,
        "role": h.role.value,
        "site": h.site,
        "platform": h.platform.value,
        "mgmt_address": str(h.mgmt_address),
    }


def host_detail(inv: Inventory, name: str) -> dict[str, Any]:
    """Everything infra knows of one host; secrets shown as references or masked, never revealed."""
    h = inv.hosts[name]
    data = h.model_dump(mode="json", exclude={"ansible_vars"})
    data["ansible_vars"] = {k: (MASK if k.startswith("vault_") else v) for k, v in h.ansible_vars.items()}
    data["interfaces"] = [
        {
            "name": i.name,
            "lab_name": i.lab_name,
            "kind": i.kind,
            "address": str(i.address) if i.address else None,
            "peer": f"{i.peer_host} {i.peer_interface}" if i.peer_host else None,
            "link_id": i.link_id,
            "ospf_area": i.ospf_area,
            "bgp": i.bgp,
        }
        for i in inv.interfaces[name]
    ]
    data["bgp_sessions"] = [
        {"peer": s.peer_host, "peer_address": str(s.peer_address), "remote_as": s.remote_as}
        for s in inv.bgp_sessions[name]
    ]
    data["credentials"] = {
        k: (str(getattr(inv.credentials, k)) if k in SECRET_FIELDS else getattr(inv.credentials, k))
        for k in type(inv.credentials).model_fields
    }
    return data


def _node_id(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")


def graph(inv: Inventory, fmt: str = "dot") -> str:
    """Sites, links and tunnels as Graphviz DOT or Mermaid."""
    by_site: dict[str, list[str]] = {}
    for h in inv.hosts.values():
        if h.is_network_device:
            by_site.setdefault(h.site, []).append(h.name)
    edges: list[tuple[str, str, str, str]] = [
        (lk.a.host, lk.b.host, f"{lk.subnet}" + (" bgp" if lk.bgp else f" ospf {lk.ospf_area}"), "solid")
        for lk in inv.links
    ]
    if inv.wan_vpn:
        edges += [
            (inv.wan_vpn.hub, t.spoke, f"{t.id} area {t.ospf_area}", "dashed") for t in inv.wan_vpn.tunnels
        ]
    if fmt == "mermaid":
        lines = ["graph LR"]
        for site, names in by_site.items():
            lines.append(
                f'  subgraph {_node_id(site)}["{inv.sites[site].name if site in inv.sites else site}"]'
            )
            lines += [f"    {_node_id(n)}[{n}]" for n in names]
            lines.append("  end")
        for a, b, label, style in edges:
            arrow = "-.-" if style == "dashed" else "---"
            lines.append(f'  {_node_id(a)} {arrow}|"{label}"| {_node_id(b)}')
        return "\n".join(lines) + "\n"
    lines = [f'graph "{inv.province.code}" {{', "  rankdir=LR; node [shape=box, fontsize=10];"]
    for site, names in by_site.items():
        label = inv.sites[site].name if site in inv.sites else site
        lines.append(f'  subgraph "cluster_{site}" {{ label="{label}";')
        lines += [f'    "{n}";' for n in names]
        lines.append("  }")
    for a, b, label, style in edges:
        lines.append(f'  "{a}" -- "{b}" [label="{label}", style={style}, fontsize=8];')
    lines.append("}")
    return "\n".join(lines) + "\n"
