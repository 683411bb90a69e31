"""Symptoms a cut WAN link explains: what the alert rules drop, shown under the link down.

The province's rules leave a cut-off site's consequences out of their own expression
(`wan_explained` in infra/monitoring/alerts.py), so Alertmanager never holds them: a commune's
tunnel cut, and only `InfraWanLinkDown` fires, though the commune's codec has lost its
registration. The board asks Prometheus, in one query, for exactly the series those rules drop
right now, and folds each under the WAN link alert of its site (or of its link), marked as a
symptom: explained, not alerting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.monitoring.alerts import ALERTS, SITE_CUT_OFF, WAN_LINK_DOWN, wan_symptoms
from infra.oncall.rootcause import Group, Topology
from infra.oncall.sources import Alert, Sample, SourceDown, Sources

ROOT = "InfraWanLinkDown"
MARK = "symptom — explained, not alerting"
_RULES = {a.name: a for a in ALERTS}
NEVER = datetime.min.replace(tzinfo=UTC)  # a symptom has no start: Prometheus holds no alert for it


def symptom_query(symptoms: Mapping[str, str] | None = None) -> str:
    """One instant query for every explained alert: its condition where the site is cut off or
    the link is down (the series its rule drops), labelled with the alert's name."""
    return " or ".join(
        f"label_replace(({expr}) and on (site) ({SITE_CUT_OFF}) or ({expr}) and on (link_id) "
        f'({WAN_LINK_DOWN}), "alertname", "{name}", "", "")'
        for name, expr in (wan_symptoms() if symptoms is None else symptoms).items()
    )


SYMPTOM_QUERY = symptom_query()


async def ask_symptoms(sources: Sources) -> tuple[list[Sample], list[str]]:
    """The series the cut explains now, and a problem to show when Prometheus cannot say.
    Asked where the alert rules run: every shard, when Prometheus is sharded."""
    try:
        return await sources.query(SYMPTOM_QUERY, raw=True), []
    except SourceDown as exc:
        return [], [f"Prometheus is not answering ({exc}): what the cut WAN links explain is not shown"]
    except ValueError as exc:  # Prometheus refused the query: a bug here, shown, not hidden
        return [], [f"Prometheus refused the query for what the cut WAN links explain ({exc})"]


@dataclass(frozen=True)
class Symptom:
    alert: Alert  # as the alert would be, were the rule not leaving it out
    reason: str  # why it sits under the root, in the operator's words


def _as_alert(sample: Sample) -> Alert | None:
    labels = {k: v for k, v in sample.labels.items() if k != "__name__"}
    name = labels.get("alertname", "")
    rule = _RULES.get(name)
    if rule is None:
        return None
    labels["severity"] = rule.severity
    key = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return Alert(
        name=name,
        labels=labels,
        annotations={"summary": rule.summary},
        starts_at=NEVER,
        state="symptom",
        fingerprint=f"symptom:{key}",
    )


def _alerting(alerts: Iterable[Alert]) -> dict[tuple[str, str], list[Mapping[str, str]]]:
    by_name_host: dict[tuple[str, str], list[Mapping[str, str]]] = {}
    for a in alerts:
        by_name_host.setdefault((a.name, a.host), []).append(a.labels)
    return by_name_host


def attach(
    groups: Iterable[Group], samples: Iterable[Sample], topo: Topology, alerts: Iterable[Alert] = ()
) -> dict[str, list[Symptom]]:
    """Group id -> the symptoms folded under it: each under the group holding the WAN link alert
    of its link, else of its (spoke) site. Without such a group, or already held by Alertmanager
    as an alert (it fired before the cut was seen), a symptom is not shown. O(alerts + symptoms)."""
    by_link: dict[str, tuple[str, Alert]] = {}
    by_site: dict[str, tuple[str, Alert]] = {}
    for g in groups:
        for a in g.alerts:  # a link down folded under another (its carrier access) counts too
            if a.name != ROOT:
                continue
            link = a.labels.get("link_id", "")
            if link:
                by_link.setdefault(link, (g.id, a))
            if a.site and a.site != topo.hub_site:
                by_site.setdefault(a.site, (g.id, a))
    alerting = _alerting(alerts)
    attached: dict[str, list[Symptom]] = {}
    seen: set[str] = set()
    for sample in samples:
        symptom = _as_alert(sample)
        if symptom is None or symptom.fingerprint in seen:
            continue
        seen.add(symptom.fingerprint)
        held = alerting.get((symptom.name, symptom.host), ())
        if any(all(labels.get(k) == v for k, v in symptom.labels.items()) for labels in held):
            continue
        link = symptom.labels.get("link_id", "")
        site = symptom.site or topo.site_of_host.get(symptom.host, "")
        if link in by_link:
            group_id, _ = by_link[link]
            reason = f"WAN link {link} is down"
        elif site in by_site:
            group_id, _ = by_site[site]
            reason = f"site {site} is cut off"
        else:
            continue
        attached.setdefault(group_id, []).append(Symptom(symptom, reason))
    for found in attached.values():
        found.sort(key=lambda s: (s.alert.name, s.alert.host, s.alert.fingerprint))
    return attached
