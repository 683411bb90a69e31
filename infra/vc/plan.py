"""From the inventory to the endpoints to check: the meeting's pattern, `--limit`, each endpoint's
site, agency, WAN link and the bitrate its WAN link must carry."""

from __future__ import annotations

from collections import Counter

from infra.inventory import Inventory, PatternError
from infra.inventory.models import Host, Platform, Role
from infra.vc.model import CheckPlan, Endpoint, Thresholds


class VcInputError(Exception):
    """Bad input for `vc check` (unknown meeting, empty selection, no VC system): exit 2."""


def _select(inv: Inventory, pattern: str, what: str) -> set[str]:
    try:
        return {h.name for h in inv.select(pattern)}
    except PatternError as exc:
        raise VcInputError(f"{what}: {exc}") from None


def plan_check(inv: Inventory, limit: str | None, meeting: str | None) -> CheckPlan:
    vc = inv.vc
    if vc is None:
        raise VcInputError(
            f"{inv.path}: the inventory describes no VC system (group_vars/all/vc.yml, key vc)"
        )
    uri = inv.test_room_uri
    if not uri:
        raise VcInputError(f"{inv.path}: vc.test_room is not set: no test room to call")
    known = {m.name: m for m in vc.meetings}
    if meeting is not None and meeting not in known:
        names = ", ".join(sorted(known)) or "none in vc.meetings"
        raise VcInputError(f"unknown meeting {meeting!r} (known: {names})")
    members = {m.name: _select(inv, m.endpoints, f"vc.meetings {m.name}: endpoints") for m in vc.meetings}
    chosen = {h.name for h in inv.vc_endpoints}
    if meeting is not None:
        chosen &= members[meeting]
    joining = set(chosen)  # the meeting's endpoints: those at one site share its WAN link
    if limit:
        chosen &= _select(inv, limit, "--limit")
    hosts = [h for h in inv.vc_endpoints if h.name in chosen and h.platform == Platform.CISCO_TP]
    if not hosts:
        what = " ".join(
            p for p in (f"--limit {limit}" if limit else "", f"--meeting {meeting}" if meeting else "") if p
        )
        raise VcInputError(
            f"{what or 'the inventory'} selects no VC endpoint (role vc_endpoint, platform cisco_tp)"
        )

    def bitrate(host: Host) -> int | None:
        if meeting is not None:
            return known[meeting].bitrate_kbps
        rates = [m.bitrate_kbps for m in vc.meetings if host.name in members[m.name]]
        return max(rates) if rates else None

    links = {h.name: inv.wan_link_of(h.site) for h in inv.vc_endpoints if h.name in joining}
    sharing = Counter(link for link in links.values() if link)
    endpoints = [_endpoint(inv, h, links[h.name], bitrate(h), sharing) for h in hosts]
    rd = vc.readiness
    thresholds = Thresholds(rd.call_setup_s, rd.sample_s, rd.max_loss_pct, rd.max_jitter_ms, rd.min_mos)
    return CheckPlan(meeting, endpoints, uri, vc.call_controller, thresholds)


def _endpoint(
    inv: Inventory, h: Host, link: str | None, bitrate: int | None, sharing: Counter[str]
) -> Endpoint:
    site = inv.sites.get(h.site)
    tunnel = inv.tunnel(link) if link else None
    cpe = next((c.name for c in inv.by_role(Role.CPE) if c.site == h.site), None)
    return Endpoint(
        host=h.name,
        site=h.site,
        agency=(site.agency if site and site.agency else h.site),
        site_kind=str(site.kind) if site else "site",
        address=str(h.mgmt_address),
        port=int(h.ansible_vars.get("ansible_port", 22)),
        wan_link=link,
        wan_link_mbps=tunnel.bandwidth_mbps if tunnel else None,
        cpe=cpe,
        bitrate_kbps=bitrate,
        sharing=sharing[link] if link else 1,
    )
