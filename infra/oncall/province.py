"""Province page: every site as a tile coloured by its worst active alert. (Skeleton: the
hub-and-spoke drawing and the power and cooling panel come with the full page.)"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.inventory import Inventory
from infra.oncall.board import Snapshot, board_of
from infra.oncall.severity import UNKNOWN, worst


@dataclass(frozen=True)
class SiteTile:
    site: str
    title: str  # the agency's name, else the site's
    kind: str
    state: str  # ok | warning | critical | info | unknown
    alerts: int


def site_tiles(inv: Inventory, snap: Snapshot) -> list[SiteTile]:
    tiles = []
    for name, site in sorted(inv.sites.items()):
        mine = [a for a in snap.alerts if a.site == name]
        state = worst(mine) if snap.alerts_known else UNKNOWN
        tiles.append(
            SiteTile(name, site.agency or name, str(site.kind), state, sum(1 for a in mine if a.active))
        )
    return tiles


async def province_page(request: Request) -> Response:
    board = board_of(request)
    snap = await board.snapshot()
    return board.render(request, "province.html.j2", snap=snap, tiles=site_tiles(board.inventory, snap))


async def province_api(request: Request) -> Response:
    board = board_of(request)
    snap = await board.snapshot()
    return JSONResponse(
        {"problems": snap.problems, "sites": [asdict(t) for t in site_tiles(board.inventory, snap)]}
    )


ROUTES = [Route("/province", province_page), Route("/api/province", province_api)]
