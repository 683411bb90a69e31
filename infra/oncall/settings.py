"""What the board needs to run: where Prometheus and Alertmanager answer, the inventory, the state
directory, and who may read or act without logging in."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from infra.inventory import Inventory
from infra.oncall.auth import User, may_read_without_login
from infra.state import StatePaths

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class BoardSettings:
    inventory: Inventory
    prometheus_url: str
    alertmanager_url: str
    state: StatePaths
    # Shard Prometheus servers, when the global one federates only aggregates: the device page
    # reads a device's raw series from them.
    shard_urls: tuple[str, ...] = ()
    # Clients from these networks read without logging in (the management network); others log in.
    read_networks: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"),)
    # Signs the session cookie; a random key per process when the inventory names none.
    session_key: str = field(default="", repr=False)
    session_hours: int = 12
    users: tuple[User, ...] = field(default=(), repr=False)  # who may log in (auth.access_settings)
    refresh_seconds: int = 5  # how often the pages follow Prometheus/Alertmanager
    source_timeout: float = 3.0  # seconds before a source counts as down for this request
    snapshot_ttl: float = 2.0  # seconds the alert snapshot is shared between clients

    def reads_without_login(self, client: str | None) -> bool:
        return may_read_without_login(client, self.read_networks)
