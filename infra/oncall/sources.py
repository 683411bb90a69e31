"""Prometheus's and Alertmanager's HTTP APIs, as the board reads and writes them.

Every call has a short timeout: a source that does not answer in time is `SourceDown`, which the
pages show as a banner over what they can still draw from the inventory. Nothing here retries:
the pages poll anyway.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


class SourceDown(Exception):
    """Prometheus or Alertmanager did not answer, or answered with an error."""

    def __init__(self, source: str, url: str, reason: str) -> None:
        super().__init__(f"{source} at {url}: {reason}")
        self.source = source
        self.url = url
        self.reason = reason


def parse_time(text: str) -> datetime:
    """An RFC 3339 time from Alertmanager (nanoseconds and 'Z' included) as an aware datetime."""
    text = text.replace("Z", "+00:00")
    if "." in text:  # Python takes at most 6 fractional digits
        head, rest = text.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Alert:
    """One alert as Alertmanager holds it."""

    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    state: str  # "active" | "suppressed" | "unprocessed"
    fingerprint: str
    inhibited_by: tuple[str, ...] = ()
    silenced_by: tuple[str, ...] = ()

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def site(self) -> str:
        return self.labels.get("site", "")

    @property
    def host(self) -> str:
        return self.labels.get("host", "")

    @property
    def active(self) -> bool:
        """Firing and neither inhibited nor silenced: what pages someone."""
        return self.state != "suppressed" and not self.inhibited_by and not self.silenced_by

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Alert:
        labels = dict(raw.get("labels") or {})
        status = raw.get("status") or {}
        return cls(
            name=labels.get("alertname", ""),
            labels=labels,
            annotations=dict(raw.get("annotations") or {}),
            starts_at=parse_time(str(raw["startsAt"])),
            state=str(status.get("state", "active")),
            fingerprint=str(raw.get("fingerprint", "")),
            inhibited_by=tuple(status.get("inhibitedBy") or ()),
            silenced_by=tuple(status.get("silencedBy") or ()),
        )


@dataclass(frozen=True)
class Matcher:
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def as_api(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "isRegex": self.is_regex, "isEqual": self.is_equal}


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    created_by: str
    comment: str
    starts_at: datetime
    ends_at: datetime
    state: str  # "active" | "pending" | "expired"

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Silence:
        return cls(
            id=str(raw["id"]),
            matchers=tuple(
                Matcher(str(m["name"]), str(m["value"]), bool(m.get("isRegex")), bool(m.get("isEqual", True)))
                for m in raw.get("matchers") or ()
            ),
            created_by=str(raw.get("createdBy", "")),
            comment=str(raw.get("comment", "")),
            starts_at=parse_time(str(raw["startsAt"])),
            ends_at=parse_time(str(raw["endsAt"])),
            state=str((raw.get("status") or {}).get("state", "")),
        )


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...] = field(default=())  # (unix time, value)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


class Sources:
    """Async client of one Prometheus (the global one, when sharded) and one Alertmanager."""

    def __init__(
        self,
        prometheus_url: str,
        alertmanager_url: str,
        timeout: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
        shard_urls: tuple[str, ...] = (),
    ) -> None:
        self.prometheus_url = prometheus_url.rstrip("/")
        # Shard Prometheus servers behind a global one: a device's raw series (interface counters,
        # neighbour states) live on its shard only, so `raw=True` queries ask every shard.
        self.shard_urls = tuple(u.rstrip("/") for u in shard_urls)
        self.alertmanager_url = alertmanager_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, source: str, method: str, url: str, base: str = "", **kwargs: Any) -> Any:
        base = base or (self.prometheus_url if source == "prometheus" else self.alertmanager_url)
        try:
            answer = await self._client.request(method, base + url, **kwargs)
        except httpx.TimeoutException:
            raise SourceDown(source, base, "no answer in time") from None
        except httpx.HTTPError as exc:
            raise SourceDown(source, base, type(exc).__name__ + (f": {exc}" if str(exc) else "")) from None
        if answer.status_code >= 500 or answer.status_code in (404, 405):
            raise SourceDown(source, base, f"HTTP {answer.status_code} for {url.split('?')[0]}")
        if answer.status_code >= 400:
            raise ValueError(_error_text(answer))
        if not answer.content:
            return None
        try:
            return answer.json()
        except ValueError:
            raise SourceDown(source, base, f"not JSON from {url.split('?')[0]}") from None

    # Alertmanager ------------------------------------------------------------------------------

    async def alerts(self) -> list[Alert]:
        raw = await self._call("alertmanager", "GET", "/api/v2/alerts")
        return [Alert.from_api(a) for a in raw or ()]

    async def silences(self) -> list[Silence]:
        raw = await self._call("alertmanager", "GET", "/api/v2/silences")
        return [Silence.from_api(s) for s in raw or ()]

    async def create_silence(
        self, matchers: list[Matcher], starts_at: datetime, ends_at: datetime, created_by: str, comment: str
    ) -> str:
        """Returns the new silence's id. A silence Alertmanager refuses raises ValueError(its reason)."""
        body = {
            "matchers": [m.as_api() for m in matchers],
            "startsAt": starts_at.isoformat(),
            "endsAt": ends_at.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        raw = await self._call("alertmanager", "POST", "/api/v2/silences", json=body)
        return str(raw["silenceID"])

    async def expire_silence(self, silence_id: str) -> None:
        await self._call("alertmanager", "DELETE", f"/api/v2/silence/{silence_id}")

    # Prometheus --------------------------------------------------------------------------------

    async def _prometheus(self, url: str, params: dict[str, str], raw: bool) -> list[dict[str, Any]]:
        """The `result` list of a Prometheus API answer; with `raw` and shards, every shard's
        results together (a shard that does not answer is down only if none answers)."""
        bases = self.shard_urls if raw and self.shard_urls else (self.prometheus_url,)
        answers = await asyncio.gather(
            *(self._call("prometheus", "GET", url, base=b, params=params) for b in bases),
            return_exceptions=True,
        )
        results: list[dict[str, Any]] = []
        failures: list[BaseException] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                failures.append(answer)
            else:
                results.extend((answer or {}).get("data", {}).get("result", ()))
        if failures and (len(failures) == len(bases) or any(isinstance(f, ValueError) for f in failures)):
            raise failures[0]
        return results

    async def query(self, promql: str, raw: bool = False) -> list[Sample]:
        results = await self._prometheus("/api/v1/query", {"query": promql}, raw)
        return [Sample(dict(r["metric"]), _number(r["value"][1])) for r in results]

    async def query_range(
        self, promql: str, start: float, end: float, step: float, raw: bool = False
    ) -> list[Series]:
        params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        results = await self._prometheus("/api/v1/query_range", params, raw)
        return [
            Series(dict(r["metric"]), tuple((float(t), _number(v)) for t, v in r.get("values", ())))
            for r in results
        ]


def _error_text(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text.strip()[:300] or f"HTTP {answer.status_code}"
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body)[:300]
    return str(body)[:300]
