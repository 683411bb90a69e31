"""What every page shares: the settings, the sources, the templates and a short-lived snapshot of
Alertmanager's alerts (many browsers polling every few seconds cost Alertmanager one request)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from infra.inventory import Inventory
from infra.oncall.settings import BoardSettings
from infra.oncall.sources import Alert, SourceDown, Sources


@dataclass(frozen=True)
class Snapshot:
    alerts: list[Alert]
    problems: list[str] = field(default_factory=list)  # banners: a source that did not answer
    taken: datetime = field(default_factory=lambda: datetime.now(UTC))
    alerts_known: bool = True  # False when Alertmanager did not answer (alerts is then empty)


class Board:
    def __init__(self, settings: BoardSettings, sources: Sources | None = None) -> None:
        self.settings = settings
        self.sources = sources or Sources(
            settings.prometheus_url,
            settings.alertmanager_url,
            timeout=settings.source_timeout,
            shard_urls=settings.shard_urls,
        )
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("infra.oncall", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._snapshot: Snapshot | None = None
        self._snapshot_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def inventory(self) -> Inventory:
        return self.settings.inventory

    async def snapshot(self) -> Snapshot:
        async with self._lock:
            if (
                self._snapshot is not None
                and time.monotonic() - self._snapshot_at < self.settings.snapshot_ttl
            ):
                return self._snapshot
            try:
                snap = Snapshot(alerts=await self.sources.alerts())
            except SourceDown as exc:
                snap = Snapshot(
                    alerts=[], problems=[f"Alertmanager is not answering ({exc})"], alerts_known=False
                )
            self._snapshot, self._snapshot_at = snap, time.monotonic()
            return snap

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A full page, or only its live part when the page polls itself (`?part=live`)."""
        live = request.query_params.get("part") == "live"
        name = template.replace(".html.j2", "_live.html.j2") if live else template
        page = self.templates.get_template(name).render(
            request=request,
            board=self,
            path=request.url.path,
            refresh=self.settings.refresh_seconds,
            province=self.inventory.province,
            user=request.scope.get("board_user"),
            csrf_token=request.scope.get("board_csrf", ""),
            **context,
        )
        return HTMLResponse(page, status_code=status_code, headers={"Cache-Control": "no-store"})


def board_of(request: Request) -> Board:
    board = request.app.state.board
    assert isinstance(board, Board)
    return board
