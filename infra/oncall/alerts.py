"""Alerts page: alerts grouped by root cause, each in the operator's words, with its runbook and
what changed before it started. `/api/alerts` serves the same groups as JSON.

Under a cut WAN link, the page also folds the symptoms the alert rules leave out (symptoms.py),
asked from Prometheus in one query while Alertmanager is read.

View building is one pass over the alerts and the symptoms plus one journal query and one
`git log` per stretch of time they cover (changes.py): O(alerts + symptoms + hosts), whatever the
province's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.inventory import Inventory
from infra.oncall.board import Snapshot, board_of
from infra.oncall.changes import Change, what_changed
from infra.oncall.rootcause import Group, Topology, group_alerts
from infra.oncall.runbooks import LIBRARY, Runbooks
from infra.oncall.silence_rules import matcher_lines, scope_of
from infra.oncall.sources import Alert, Sample
from infra.oncall.symptoms import MARK, ROOT, Symptom, ask_symptoms, attach
from infra.oncall.words import Fact, age, facts, site_title
from infra.state import StatePaths


def silence_link(a: Alert) -> str:
    """The Silences page scoped to A: its fingerprint, and the matchers it has now (used when it
    is no longer at Alertmanager by the time the link is followed)."""
    scope = matcher_lines(scope_of(a.labels))
    return f"/silences?{urlencode({'alert': a.fingerprint, 'matchers': scope})}#new"


@dataclass(frozen=True)
class AlertView:
    fingerprint: str
    name: str
    severity: str
    state: str  # firing | inhibited | silenced | inhibited by an alert no longer listed | MARK (symptom)
    starts_at: datetime
    age: str
    summary: str
    labels: dict[str, str]
    facts: list[Fact]
    runbook: str  # its page, "" when the alert has no runbook
    silence: str  # the Silences page, scoped to this alert; "" for a symptom (nothing to silence)
    reason: str = ""  # folded: why it sits under the root
    site: str = ""
    host: str = ""
    symptom: bool = False  # left out by its rule as explained by a cut WAN link: not an alert

    def as_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "name": self.name,
            "severity": self.severity,
            "state": self.state,
            "starts_at": None if self.symptom else self.starts_at.isoformat(),
            "age": self.age or None,
            "summary": self.summary,
            "labels": self.labels,
            "facts": [{"label": f.label, "text": f.text, "href": f.href} for f in self.facts],
            "runbook": self.runbook or None,
            "silence": self.silence or None,
            **({"reason": self.reason} if self.reason else {}),
            **({"symptom": True} if self.symptom else {}),
        }


@dataclass(frozen=True)
class GroupView:
    id: str
    root: AlertView
    folded: list[AlertView]  # the alerts it explains, then the symptoms (AlertView.symptom)
    changes: list[Change]
    runbook_inline: bool  # the root's runbook is rendered here (once per alert name on the page)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "root": self.root.as_json(),
            "folded": [a.as_json() for a in self.folded],
            "changes": [
                {"when": c.when.isoformat(), "kind": c.kind, "hosts": list(c.hosts), "text": c.text}
                for c in self.changes
            ],
        }


@dataclass
class AlertsView:
    groups: list[GroupView]
    silenced: list[GroupView]
    problems: list[str]
    known: bool  # Alertmanager answered
    site: str = ""
    host: str = ""
    runbooks: dict[str, Markup] = field(default_factory=dict)  # inline runbooks by alert name

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "filter": {"site": self.site or None, "host": self.host or None},
            "groups": [g.as_json() for g in self.groups],
            "silenced": [g.as_json() for g in self.silenced],
        }


def parse_filter(inv: Inventory, request: Request) -> tuple[str, str]:
    """`?site=` and `?host=`, each empty or known to the inventory; anything else is a 400."""
    site = request.query_params.get("site", "")
    host = request.query_params.get("host", "")
    if site and site not in inv.sites:
        raise HTTPException(400, f"no site named {site[:80]!r} in the inventory")
    if host and host not in inv.hosts:
        raise HTTPException(400, f"no device named {host[:80]!r} in the inventory")
    return site, host


def _state(a: Alert, present: set[str]) -> str:
    if a.silenced_by:
        return "silenced"
    if a.inhibited_by:
        if any(fp in present for fp in a.inhibited_by):
            return "inhibited"
        return "inhibited by an alert no longer listed"
    return "firing"


def _matches(g: Group, symptoms: list[Symptom], topo: Topology, site: str, host: str) -> bool:
    for a in [*g.alerts, *(s.alert for s in symptoms)]:
        if site and site not in topo.sites_of(a):
            continue
        if host and host not in (a.host, a.labels.get("peer_host", "")):
            continue
        return True
    return False


def alerts_view(
    inv: Inventory,
    snap: Snapshot,
    state: StatePaths,
    site: str = "",
    host: str = "",
    runbooks: Runbooks = LIBRARY,
    symptoms: Iterable[Sample] = (),
) -> AlertsView:
    """The whole page's data. Blocking (the journal, git): handlers run it in a thread.
    SYMPTOMS: Prometheus's answer to symptoms.SYMPTOM_QUERY."""
    topo = Topology.of(inv)
    grouping = group_alerts(snap.alerts, topo)
    explained = attach([*grouping.groups, *grouping.silenced], symptoms, topo, snap.alerts)
    groups = [g for g in grouping.groups if _matches(g, explained.get(g.id, []), topo, site, host)]
    silenced = [g for g in grouping.silenced if _matches(g, explained.get(g.id, []), topo, site, host)]
    changes, problems = what_changed(groups + silenced, topo, state)
    present = {a.fingerprint for a in snap.alerts}
    known_runbooks = runbooks.names()
    now = snap.taken

    def one(a: Alert, reason: str = "", site_known: str = "", symptom: bool = False) -> AlertView:
        return AlertView(
            fingerprint=a.fingerprint,
            name=a.name,
            severity=a.severity or "info",
            state=MARK if symptom else _state(a, present),
            starts_at=a.starts_at,
            age="" if symptom else age(a.starts_at, now),
            summary=a.annotations.get("description") or a.annotations.get("summary", ""),
            labels=dict(a.labels),
            facts=facts(a, inv, topo, site_known),
            runbook=f"/runbooks/{quote(a.name, safe='')}" if a.name in known_runbooks else "",
            silence="" if symptom else silence_link(a),
            reason=reason,
            site=a.site,
            host=a.host,
            symptom=symptom,
        )

    inline: dict[str, Markup] = {}

    def group_view(g: Group) -> GroupView:
        first = g.root.name in known_runbooks and g.root.name not in inline
        if first:
            html = runbooks.html(g.root.name)
            if html is not None:
                inline[g.root.name] = html
            first = html is not None
        return GroupView(
            id=g.id,
            root=one(g.root),
            folded=[
                *(one(f.alert, f.reason, g.root.site) for f in g.folded),
                *(one(s.alert, s.reason, g.root.site, symptom=True) for s in explained.get(g.id, ())),
            ],
            changes=changes.get(g.id, []),
            runbook_inline=first,
        )

    return AlertsView(
        groups=[group_view(g) for g in groups],
        silenced=[group_view(g) for g in silenced],
        problems=[*snap.problems, *problems],
        known=snap.alerts_known,
        site=site,
        host=host,
        runbooks=inline,
    )


async def _view(request: Request) -> AlertsView:
    board = board_of(request)
    site, host = parse_filter(board.inventory, request)
    snap = await board.snapshot()
    # Symptoms hang under a cut WAN link only: on a night without one, Prometheus is not asked
    # (at 3,000 devices the symptom query is the page's most expensive part).
    cut = any(a.name == ROOT for a in snap.alerts)
    symptoms, said = await ask_symptoms(board.sources) if cut else ([], [])
    if said:
        snap = replace(snap, problems=[*snap.problems, *said])
    return await run_in_threadpool(
        alerts_view, board.inventory, snap, board.settings.state, site, host, symptoms=symptoms
    )


async def alerts_page(request: Request) -> Response:
    board = board_of(request)
    view = await _view(request)
    title = site_title(board.inventory, view.site) if view.site else ""
    return board.render(request, "alerts.html.j2", view=view, site_title=title)


async def alerts_api(request: Request) -> Response:
    return JSONResponse((await _view(request)).as_json())


async def runbook_page(request: Request) -> Response:
    """One runbook. The name is looked up in the directory's listing, never joined onto a path."""
    name = request.path_params["alertname"]
    html = LIBRARY.html(name) if name in LIBRARY else None
    if html is None:
        raise HTTPException(404, f"no runbook for an alert named {name[:80]!r}")
    return board_of(request).render(request, "runbook.html.j2", name=name, runbook=html)


ROUTES = [
    Route("/alerts", alerts_page),
    Route("/api/alerts", alerts_api),
    Route("/runbooks/{alertname}", runbook_page),
]
