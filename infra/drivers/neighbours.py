"""Which routing neighbours are up, read per platform: OSPF in Full state, BGP Established.

Each returns {"ospf": {...}, "bgp": {...}} holding neighbour addresses and, for OSPF, the local
interface names too (Huawei's brief view shows router ids, not addresses), so a caller can match
an expected neighbour by address or by interface.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Show = Callable[[str], str]
IP = r"\d+\.\d+\.\d+\.\d+"


def _json(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return {}


def frr(show: Show) -> dict[str, set[str]]:
    ospf: set[str] = set()
    data = _json(show("show ip ospf neighbor json"))
    for entries in (data.get("neighbors") or {}).values() if isinstance(data, dict) else ():
        for n in entries if isinstance(entries, list) else [entries]:
            if str(n.get("nbrState") or n.get("state") or "").startswith("Full"):
                ospf.add(str(n.get("ifaceAddress") or n.get("address") or ""))
    bgp: set[str] = set()
    data = _json(show("show bgp summary json"))
    for af in data.values() if isinstance(data, dict) else ():
        peers = af.get("peers") if isinstance(af, dict) else None
        for addr, p in (peers or {}).items():
            if str(p.get("state", "")) == "Established":
                bgp.add(addr)
    return {"ospf": ospf, "bgp": bgp}


def cisco_ios(show: Show) -> dict[str, set[str]]:
    ospf: set[str] = set()
    row = re.compile(rf"^({IP})\s+\d+\s+FULL/\s*\S+\s+\S+\s+({IP})\s+(\S+)\s*$", re.M)
    for m in row.finditer(show("show ip ospf neighbor")):
        ospf |= {m.group(2), m.group(3)}
    bgp = {
        m.group(1)
        for m in re.finditer(
            rf"^({IP})\s+4\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+\d+\s*$",
            show("show ip bgp summary"),
            re.M,
        )
    }
    return {"ospf": ospf, "bgp": bgp}


def huawei_vrp(show: Show) -> dict[str, set[str]]:
    ospf = {
        m.group(1)
        for m in re.finditer(rf"^\s*\S+\s+(\S+)\s+{IP}\s+Full\s*$", show("display ospf peer brief"), re.M)
    }
    bgp = {
        m.group(1)
        for m in re.finditer(rf"^\s*({IP})\s+4\s+\d+\s.*\bEstablished\b", show("display bgp peer"), re.M)
    }
    return {"ospf": ospf, "bgp": bgp}
