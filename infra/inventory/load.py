"""Load the Ansible inventory into the typed `Inventory` and check it.

`load_inventory(path)` is the only way in: it reads the files with Ansible's layout and
precedence, types every value (unknown keys rejected), derives the topology, and runs the
semantic checks. All problems are gathered and raised together as one `InventoryError`.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.inventory.backup import typed_backup
from infra.inventory.errors import InventoryError, Problem
from infra.inventory.inventory import Inventory
from infra.inventory.layout import RawInventory, read_layout
from infra.inventory.models import (
    PROVINCE_KEYS,
    ROLE_VAR_PREFIXES,
    AddressPools,
    Baseline,
    Carrier,
    Credentials,
    Host,
    HostVars,
    Link,
    Province,
    Site,
    Vc,
    Vlan,
    WanVpn,
)
from infra.inventory.oncall import typed_oncall
from infra.inventory.server_backup import check_server_data, typed_server_backup
from infra.inventory.source import Origin


def _pydantic_problems(
    exc: ValidationError, key: str, origins: dict[str, Origin], host: str | None = None
) -> list[Problem]:
    out = []
    origin = origins.get(key)
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        fld = f"{key}.{loc}" if key and loc else (key or loc)
        if host and not key:
            origin = origins.get(str(err["loc"][0])) if err["loc"] else None
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "is required but missing"
        out.append(Problem(msg, origin.file if origin else None, origin.line if origin else None, host, fld))
    return out


def _typed(
    model: type[BaseModel], value: Any, key: str, origins: dict[str, Origin], problems: list[Problem]
) -> Any:
    if value is None:
        origin = origins.get("province")
        problems.append(
            Problem("is required in group_vars/all", origin.file if origin else None, None, None, key)
        )
        return None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, key, origins))
        return None


def load_inventory(path: str | Path) -> Inventory:
    """Load, type and check the inventory at `path` (a directory with hosts.yml).

    Loading builds millions of small objects that all live on, none of them in a cycle: the
    cyclic garbage collector would run hundreds of times for nothing (a third of the time of a
    5,000-host province), so it is paused while loading.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(path))
    finally:
        if collecting:
            gc.enable()


def _load(path: Path) -> Inventory:
    raw = read_layout(path)
    problems: list[Problem] = []
    all_vars = raw.groups["all"].vars
    all_origins = raw.groups["all"].origins

    # Province-level keys belong to group `all` only.
    for gname, group in raw.groups.items():
        if gname == "all":
            continue
        for key in group.vars:
            if key in PROVINCE_KEYS:
                o = group.origins.get(key)
                problems.append(
                    Problem(
                        f"is province-wide and belongs in group_vars/all, not group {gname}",
                        o.file if o else None,
                        o.line if o else None,
                        None,
                        key,
                    )
                )

    def typed(model: type[BaseModel], key: str) -> Any:
        return _typed(model, all_vars.get(key), key, all_origins, problems)

    province = typed(Province, "province")
    pools = typed(AddressPools, "address_pools")
    baseline = typed(Baseline, "baseline")
    credentials = typed(Credentials, "credentials")
    carrier = typed(Carrier, "carrier")
    wan_vpn = (
        _typed(WanVpn, all_vars["wan_vpn"], "wan_vpn", all_origins, problems)
        if "wan_vpn" in all_vars
        else None
    )
    vc = _typed(Vc, all_vars["vc"], "vc", all_origins, problems) if "vc" in all_vars else None
    board = all_vars.get("oncall")
    oncall = typed_oncall(board, all_origins.get("oncall"), problems) if board is not None else None
    backup_vars = all_vars.get("backup")
    backup = (
        typed_backup(backup_vars, all_origins.get("backup"), set(raw.host_order), problems)
        if backup_vars is not None
        else None
    )
    sites: dict[str, Site] = {}
    for sid, body in (all_vars.get("sites") or {}).items():
        site = _typed(
            Site, body, f"sites.{sid}", {f"sites.{sid}": all_origins.get("sites", Origin(""))}, problems
        )
        if site:
            sites[sid] = site
    links = _typed_list(Link, all_vars.get("links") or [], "links", all_origins, problems)
    vlans = _typed_list(Vlan, all_vars.get("vlans") or [], "vlans", all_origins, problems)

    hosts = {}
    for name in raw.host_order:
        host = _host(name, raw, problems)
        if host:
            hosts[name] = host
    server_backup = None
    if "server_backup" in all_vars:
        server_backup = typed_server_backup(
            all_vars["server_backup"], all_origins.get("server_backup"), hosts, problems
        )
    check_server_data(hosts, raw.host_origins, problems)
    if problems or None in (province, pools, baseline, credentials, carrier):
        raise InventoryError(problems)

    groups = {g: tuple(_members(g, raw)) for g in raw.groups}
    inv = Inventory(
        path=raw.root,
        province=province,
        pools=pools,
        baseline=baseline,
        credentials=credentials,
        carrier=carrier,
        sites=sites,
        hosts=hosts,
        groups=groups,
        group_children={g: tuple(raw.groups[g].children) for g in raw.groups},
        links=tuple(links),
        vlans=tuple(vlans),
        wan_vpn=wan_vpn,
        vc=vc,
        oncall=oncall,
        server_backup=server_backup,
        all_vars=all_vars,
        host_origins=raw.host_origins,
        all_origins=all_origins,
        backup=backup,
    )
    from infra.inventory.checks import check  # checks read the derived topology

    problems = check(inv)
    if problems:
        raise InventoryError(problems)
    return inv


def _typed_list(
    model: type[BaseModel], items: Any, key: str, origins: dict[str, Origin], problems: list[Problem]
) -> list[Any]:
    if not isinstance(items, list):
        o = origins.get(key)
        problems.append(Problem("must be a list", o.file if o else None, o.line if o else None, None, key))
        return []
    out = []
    for i, item in enumerate(items):
        ident = item.get("id", i) if isinstance(item, dict) else i
        o = origins.get(key)
        local = {f"{key}[{ident}]": o.entry(str(ident)) if o else Origin("")}
        value = _typed(model, item, f"{key}[{ident}]", local, problems)
        if value is not None:
            out.append(value)
    return out


def _host(name: str, raw: RawInventory, problems: list[Problem]) -> Host | None:
    merged = raw.host_vars[name]
    origins = raw.host_origins[name]
    known = set(HostVars.model_fields)
    # vault_* variables are the province's secrets (group all): resolved through SecretStore, never per host
    passthrough = {
        k: v
        for k, v in merged.items()
        if k not in known and k.startswith(ROLE_VAR_PREFIXES) and not k.startswith("vault_")
    }
    own = {
        k: v
        for k, v in merged.items()
        if k not in passthrough and k not in PROVINCE_KEYS and not k.startswith("vault_")
    }
    try:
        hv = HostVars.model_validate(own)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, "", origins, host=name))
        return None
    data = hv.model_dump(exclude={"ansible_host"})
    return Host(
        name=name,
        mgmt_address=hv.ansible_host,
        groups=tuple(raw.host_groups[name]),
        ansible_vars=passthrough,
        **{**data, "services": tuple(hv.services), "compliance_waivers": tuple(hv.compliance_waivers)},
    )


def _members(group: str, raw: RawInventory) -> list[str]:
    seen: dict[str, None] = {}
    stack = [group]
    visited: set[str] = set()
    while stack:
        g = stack.pop(0)
        if g in visited:
            continue
        visited.add(g)
        for h in raw.groups[g].hosts:
            seen.setdefault(h, None)
        stack.extend(raw.groups[g].children)
    if group == "all":
        return list(raw.host_order)
    return list(seen)
