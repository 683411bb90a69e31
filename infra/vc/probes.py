"""What `vc check` observes beside the codec: its SSH port, the WAN link's load and state in
Prometheus, and (in the lab) the DSCP marks that reach the WAN hub.

Each source says when it cannot know: `Unknown` (Prometheus unreachable or without the series)
and `observe_marks(site) -> None` (nothing on the path counts marks: production) are reported
as "unknown" and "not observed", never as passed.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol


class Unknown(Exception):
    """A source could not say (unreachable, no such series): the check is "unknown"."""


def tcp_reachable(address: str, port: int = 22, timeout: float = 3.0) -> str | None:
    """None when a TCP connection to address:port opens, else why not (in words)."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return None
    except TimeoutError:
        return f"no answer on TCP {port} within {timeout:g} s"
    except ConnectionRefusedError:
        return f"TCP {port} refused (the codec's SSH service is off)"
    except OSError as exc:
        return f"TCP {port}: {exc.strerror or exc}"


@dataclass(frozen=True)
class MarkCounts:
    """Packets seen with each DSCP mark on a site's WAN path (cumulative counters)."""

    af41: int  # video
    ef: int  # audio

    def __sub__(self, other: MarkCounts) -> MarkCounts:
        return MarkCounts(self.af41 - other.af41, self.ef - other.ef)


class MarkObserver(Protocol):
    def observe_marks(self, site: str) -> MarkCounts | None:
        """Counts of marked packets from `site` on its WAN path, or None where nothing observes
        them (production)."""
        ...


class NoObserver:
    """Production: nothing on the WAN path counts marks; the check says "not observed"."""

    def observe_marks(self, site: str) -> MarkCounts | None:
        return None


class WanLinks(Protocol):
    def load_bps(self, link_id: str) -> float:
        """The link's current rate, the busier direction, in bit/s (Unknown if not known)."""
        ...

    def link_up(self, link_id: str) -> bool | None:
        """True up, False down, None unknown."""
        ...


# the busier direction of each end of the link, from the recording rules infra renders
LOAD_QUERY = (
    'max(max by (host, ifName) ({{__name__=~"infra:interface_(in|out)_bps:rate5m"}}) '
    '* on (host, ifName) infra_wan_link_info{{link_id="{link}"}})'
)
UP_QUERY = 'min(infra:wan_link_up{{link_id="{link}"}})'


class Prometheus:
    """Instant queries against the monitoring's Prometheus, one per link per run (cached); once
    Prometheus is found unreachable every later query says so without waiting again."""

    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._lock = threading.Lock()
        self._cache: dict[str, float | Unknown | None] = {}
        self._down: Unknown | None = None

    def _value(self, query: str) -> float | None:
        with self._lock:
            if self._down is not None:
                raise self._down
            cached = self._cache.get(query, KeyError)
        if isinstance(cached, Unknown):
            raise cached
        if cached is not KeyError:
            assert cached is None or isinstance(cached, float)
            return cached
        try:
            value = self._query(query)
        except Unknown as exc:
            with self._lock:
                self._cache[query] = exc
            raise
        with self._lock:
            self._cache[query] = value
        return value

    def _query(self, query: str) -> float | None:
        address = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as r:
                doc = json.load(r)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            down = Unknown(f"Prometheus at {self.url} is unreachable ({reason})")
            with self._lock:
                self._down = down
            raise down from None
        if doc.get("status") != "success":
            raise Unknown(
                f"Prometheus at {self.url} refused the query: {doc.get('error', doc.get('status'))}"
            )
        result = doc.get("data", {}).get("result", [])
        if not result:
            return None
        return float(result[0]["value"][1])

    def load_bps(self, link_id: str) -> float:
        value = self._value(LOAD_QUERY.format(link=link_id))
        if value is None:
            raise Unknown(f"Prometheus at {self.url} has no interface rate for WAN link {link_id}")
        return value

    def link_up(self, link_id: str) -> bool | None:
        try:
            value = self._value(UP_QUERY.format(link=link_id))
        except Unknown:
            return None
        return None if value is None else value >= 1
