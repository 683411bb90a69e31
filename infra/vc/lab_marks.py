"""In the lab, the WAN hub observes the marks: nft counters of AF41 (video) and EF (audio)
packets arriving over each site's WAN-VPN tunnel, and a ping over the tunnel says whether it is
up. A real province has nothing of the sort on its WAN path: there `vc check` uses
`NoObserver` and reports the DSCP check as "not observed".

The counters live in their own table (`inet infra_vc_marks`: counting only, policy accept) in
the hub's namespace; the first observation adds it if it is missing. Reading needs root (the
hub's namespace), like every lab command; without it the observer observes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Sequence

from infra.inventory import Inventory
from infra.lab.paths import netns_name
from infra.vc.probes import MarkCounts

TABLE = "infra_vc_marks"
Runner = Callable[[Sequence[str], str | None], tuple[int, str]]


def _counter(link: str, mark: str) -> str:
    return f"{link.replace('-', '_')}_{mark}"


def counter_ruleset(tunnels: dict[str, str]) -> str:
    """The nft table counting marked packets per tunnel (link id -> the hub's tunnel interface)."""
    counters = "".join(
        f"  counter {_counter(link, mark)} {{}}\n" for link in sorted(tunnels) for mark in ("af41", "ef")
    )
    rules = "".join(
        f'    iifname "{ifname}" ip dscp {mark} counter name "{_counter(link, mark)}"\n'
        for link, ifname in sorted(tunnels.items())
        for mark in ("af41", "ef")
    )
    return (
        f"table inet {TABLE} {{\n{counters}"
        "  chain prerouting {\n    type filter hook prerouting priority -150; policy accept;\n"
        f"{rules}  }}\n}}\n"
    )


def parse_counters(text: str) -> dict[str, int]:
    """`nft -j list counters table inet infra_vc_marks` -> counter name -> packets."""
    doc = json.loads(text)
    out: dict[str, int] = {}
    for item in doc.get("nftables", []):
        c = item.get("counter")
        if isinstance(c, dict) and "name" in c:
            out[str(c["name"])] = int(c.get("packets", 0))
    return out


def _run(argv: Sequence[str], stdin: str | None) -> tuple[int, str]:
    try:
        p = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return p.returncode, p.stdout


class HubCounters:
    """observe_marks(site) from the lab hub's counters; link_up(link) by a ping over the tunnel."""

    def __init__(self, inv: Inventory, run: Runner = _run) -> None:
        self.inv = inv
        self.run = run
        self.hub = inv.wan_vpn.hub if inv.wan_vpn else None
        self.tunnels: dict[str, str] = {}
        self.spokes: dict[str, str] = {}
        self.links: dict[str, str] = {}  # site -> its tunnel (Inventory.wan_link_of, from the hub's side)
        for i in inv.interfaces.get(self.hub or "", ()):
            if i.kind == "tunnel" and i.link_id:
                self.tunnels[i.link_id] = i.lab_name
                if i.peer_address is not None:
                    self.spokes[i.link_id] = str(i.peer_address)
                if i.peer_host in inv.hosts:
                    self.links.setdefault(inv.hosts[i.peer_host].site, i.link_id)
        self._ready: bool | None = None
        self._lock = threading.Lock()

    def _ns(self) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{netns_name(self.hub or '')}", "--"]

    def _ensure(self) -> bool:
        with self._lock:
            if self._ready is None:
                if self.hub is None or os.geteuid() != 0:
                    self._ready = False
                else:
                    code, _ = self.run([*self._ns(), "nft", "list", "table", "inet", TABLE], None)
                    if code != 0:
                        code, _ = self.run([*self._ns(), "nft", "-f", "-"], counter_ruleset(self.tunnels))
                    self._ready = code == 0
            return self._ready

    def observe_marks(self, site: str) -> MarkCounts | None:
        link = self.links.get(site)
        if link is None or link not in self.tunnels or not self._ensure():
            return None
        code, out = self.run([*self._ns(), "nft", "-j", "list", "counters", "table", "inet", TABLE], None)
        if code != 0:
            return None
        counts = parse_counters(out)
        af41, ef = counts.get(_counter(link, "af41")), counts.get(_counter(link, "ef"))
        if af41 is None or ef is None:
            return None
        return MarkCounts(af41, ef)

    def link_up(self, link_id: str) -> bool | None:
        spoke = self.spokes.get(link_id)
        if spoke is None or self.hub is None or os.geteuid() != 0:
            return None
        code, _ = self.run([*self._ns(), "ping", "-c", "2", "-i", "0.2", "-W", "1", "-q", spoke], None)
        return code == 0
