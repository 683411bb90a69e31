"""The route table of the pages and their JSON API: each page module exports ROUTES."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    from infra.oncall import alerts, device, login, province, silences, status

    return [*province.ROUTES, *alerts.ROUTES, *device.ROUTES, *silences.ROUTES, *status.ROUTES, *login.ROUTES]
