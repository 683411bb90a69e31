"""The Alerts page: grouping by root cause (pure, then through a real Alertmanager with the
province's inhibition rules), labels in the operator's words, runbooks rendered without raw HTML,
"what changed" from a real journal and a real git backup repository, and bad input refused."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from infra.inventory import Inventory
from infra.journal.db import Journal
from infra.oncall.board import Snapshot
from infra.oncall.changes import what_changed
from infra.oncall.rootcause import Group, Topology, group_alerts
from infra.oncall.runbooks import Runbooks
from infra.oncall.sources import Alert
from infra.oncall.words import age
from infra.results import Result
from infra.state import StatePaths
from infra.state.backups import BackupRepo
from tests.monitoring.alertmanager_testlib import post_alerts
from tests.oncall.conftest import board_client, wait_for
from tests.ports import free_port

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def alert(name: str, fp: str, severity: str = "critical", minutes_ago: int = 5, **labels: str) -> Alert:
    inhibited = tuple(labels.pop("inhibited_by").split(",")) if "inhibited_by" in labels else ()
    silenced = tuple(labels.pop("silenced_by").split(",")) if "silenced_by" in labels else ()
    return Alert(
        name=name,
        labels={"alertname": name, "severity": severity, **labels},
        annotations={},
        starts_at=NOW - timedelta(minutes=minutes_ago),
        state="suppressed" if inhibited or silenced else "active",
        fingerprint=fp,
        inhibited_by=inhibited,
        silenced_by=silenced,
    )


def link_down(site: str, fp: str = "link", **extra: str) -> Alert:
    return alert(
        "InfraWanLinkDown",
        fp,
        host="wan-hub-1",
        site=site,
        link_id=f"vpn-{site}",
        link_kind="tunnel",
        peer_host=f"cpe-{site}",
        peer_site=site,
        hub_site="dc",
        **extra,
    )


def roots(groups: list[Group]) -> list[tuple[str, list[str]]]:
    return [(g.root.fingerprint, sorted(f.alert.fingerprint for f in g.folded)) for g in groups]


# ---- grouping, pure --------------------------------------------------------------------------


def test_a_wan_link_down_explains_its_spoke_sites_alerts(example_inventory: Inventory) -> None:
    topo = Topology.of(example_inventory)
    alerts = [
        alert("InfraDeviceUnreachable", "cpe", host="cpe-so-noi-vu", site="so-noi-vu", inhibited_by="link"),
        alert("InfraVcEndpointNotRegistered", "vc", "warning", host="vc-so-noi-vu", site="so-noi-vu"),
        alert(
            "InfraOspfNeighbourDown", "ospf", "warning", host="wan-hub-1", site="dc", link_id="vpn-so-noi-vu"
        ),
        link_down("so-noi-vu", minutes_ago=3),  # started later than the CPE's alert: still the root
    ]
    grouping = group_alerts(alerts, topo)
    assert roots(grouping.groups) == [("link", ["cpe", "ospf", "vc"])]
    reasons = {f.alert.fingerprint: f.reason for f in grouping.groups[0].folded}
    assert reasons["cpe"] == "inhibited by InfraWanLinkDown"
    assert reasons["vc"] == "site so-noi-vu is cut off"  # not inhibited, yet explained by the topology
    assert reasons["ospf"] == "WAN link vpn-so-noi-vu is down"


def test_alertmanager_naming_each_other_still_puts_the_link_on_top(example_inventory: Inventory) -> None:
    """Alertmanager names the first inhibiting alert it finds: the CPE and its VPN endpoint may
    name each other. The site's WAN link is still the root."""
    alerts = [
        link_down("so-y-te"),
        alert("InfraDeviceUnreachable", "cpe", host="cpe-so-y-te", site="so-y-te", inhibited_by="vpn"),
        alert(
            "InfraWanEndpointUnreachable",
            "vpn",
            host="cpe-so-y-te",
            site="so-y-te",
            link_id="vpn-so-y-te",
            inhibited_by="cpe",
        ),
    ]
    for order in (alerts, alerts[::-1]):
        grouping = group_alerts(order, Topology.of(example_inventory))
        assert roots(grouping.groups) == [("link", ["cpe", "vpn"])]


def test_two_independent_sites_are_two_groups(example_inventory: Inventory) -> None:
    topo = Topology.of(example_inventory)
    alerts = [
        link_down("so-noi-vu", "link-a"),
        alert("InfraDeviceUnreachable", "cpe-a", host="cpe-so-noi-vu", site="so-noi-vu"),
        alert("InfraDeviceUnreachable", "cpe-b", host="cpe-so-tai-chinh", site="so-tai-chinh"),
    ]
    grouping = group_alerts(alerts, topo)
    assert sorted(roots(grouping.groups)) == [("cpe-b", []), ("link-a", ["cpe-a"])]
    assert grouping.groups[0].root.fingerprint == "link-a"  # the group explaining more comes first


def test_an_alert_inhibited_by_an_alert_no_longer_listed_is_still_shown(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    orphan = alert(
        "InfraWanEndpointUnreachable", "orphan", host="cpe-so-y-te", site="so-y-te", inhibited_by="gone"
    )
    grouping = group_alerts([orphan], Topology.of(example_inventory))
    assert roots(grouping.groups) == [("orphan", [])]
    from infra.oncall.alerts import alerts_view

    view = alerts_view(example_inventory, Snapshot([orphan], taken=NOW), StatePaths.from_env(tmp_path))
    assert view.groups[0].root.state == "inhibited by an alert no longer listed"


def test_hub_down_explains_every_spoke_and_a_cycle_does_not_hang(example_inventory: Inventory) -> None:
    topo = Topology.of(example_inventory)
    alerts = [
        alert("InfraDeviceUnreachable", "hub", host="wan-hub-1", site="dc"),
        link_down("so-y-te", "link-y"),
        alert("InfraDeviceUnreachable", "cpe-x", host="cpe-xa-ta-nung", site="xa-ta-nung"),
        # Two alerts each saying the other inhibits it: cut where the cycle closes, both shown once.
        alert("InfraSnmpScrapeFailing", "a", "warning", host="dc-sw-1", site="dc", inhibited_by="b"),
        alert("InfraSnmpScrapeFailing", "b", "warning", host="dc-sw-2", site="dc", inhibited_by="a"),
    ]
    grouping = group_alerts(alerts, topo)
    by_root = dict(roots(grouping.groups))
    assert by_root["hub"] == ["cpe-x", "link-y"]
    shown = [fp for root, folded in roots(grouping.groups) for fp in (root, *folded)]
    assert sorted(shown) == ["a", "b", "cpe-x", "hub", "link-y"]


def test_silenced_groups_are_apart(example_inventory: Inventory) -> None:
    alerts = [
        alert("InfraDeviceUnreachable", "quiet", host="cpe-so-y-te", site="so-y-te", silenced_by="s1"),
        alert("InfraDeviceUnreachable", "loud", host="cpe-so-tu-phap", site="so-tu-phap"),
    ]
    grouping = group_alerts(alerts, Topology.of(example_inventory))
    assert roots(grouping.groups) == [("loud", [])]
    assert roots(grouping.silenced) == [("quiet", [])]


def test_age_in_words() -> None:
    assert age(NOW - timedelta(seconds=40), NOW) == "40 s"
    assert age(NOW - timedelta(minutes=12, seconds=5), NOW) == "12 min"
    assert age(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h 5 min"
    assert age(NOW - timedelta(days=2, hours=4), NOW) == "2 d 4 h"


# ---- runbooks --------------------------------------------------------------------------------


def test_a_runbook_with_raw_html_is_escaped(tmp_path: Path) -> None:
    (tmp_path / "InfraEvil.md").write_text(
        "# InfraEvil\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3))\n\n`code`\n"
    )
    books = Runbooks(tmp_path)
    page = books.html("InfraEvil")
    assert page is not None
    html = str(page)
    assert "<h1>InfraEvil</h1>" in html and "<code>code</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript:' not in html  # not a link: shown as the text it is
    assert books.html("../InfraEvil") is None and books.html("InfraMissing") is None


def test_runbook_pages_only_for_listed_names(example_inventory: Inventory, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(example_inventory, dead, dead, tmp_path) as client:
        page = client.get("/runbooks/InfraWanLinkDown")
        assert page.status_code == 200 and "<h1>InfraWanLinkDown</h1>" in page.text
        for bad in (
            "/runbooks/../../etc/passwd",
            "/runbooks/..%2F..%2Fetc%2Fpasswd",
            "/runbooks/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/runbooks/InfraNoSuchAlert",
            "/runbooks/InfraWanLinkDown.md",
        ):
            answer = client.get(bad)
            assert answer.status_code == 404, bad
            assert "root:" not in answer.text, bad


# ---- what changed ----------------------------------------------------------------------------


def test_what_changed_from_the_journal_and_the_backups(example_inventory: Inventory, tmp_path: Path) -> None:
    state = StatePaths.from_env(tmp_path)
    journal = Journal(state.journal)
    journal.start_run("run-1", "infra deploy --limit cpe-so-noi-vu", "new ACL", user="an")
    journal.record_device("run-1", Result("cpe-so-noi-vu", changed=True))
    journal.record_device("run-1", Result("cpe-so-y-te", changed=True))  # another site
    journal.finish_run("run-1", "ok", {"changed": 2}, None)
    repo = BackupRepo(state.backups)
    repo.write("vc-so-noi-vu", "codec config\n")  # a device of the alert's site
    repo.write("dc-core-1", "core config\n")  # neither the device nor its site
    commit = repo.commit("backup after run-1")
    assert commit is not None

    soon = datetime.now(UTC) + timedelta(minutes=1)
    root = Alert(
        "InfraDeviceUnreachable",
        {"alertname": "InfraDeviceUnreachable", "host": "cpe-so-noi-vu", "site": "so-noi-vu"},
        {},
        soon,
        "active",
        "fp-now",
    )
    later = Alert(
        root.name, {**root.labels, "host": "cpe-so-y-te"}, {}, soon + timedelta(hours=2), "active", "fp-later"
    )
    topo = Topology.of(example_inventory)
    changes, problems = what_changed([Group(root), Group(later)], topo, state)
    assert problems == []
    found = changes["fp-now"]
    assert {c.kind for c in found} == {"deploy", "backup"}
    deploy = next(c for c in found if c.kind == "deploy")
    assert deploy.hosts == ("cpe-so-noi-vu",) and "by an (new ACL)" in deploy.text
    backup = next(c for c in found if c.kind == "backup")
    assert commit[:10] in backup.text and set(backup.hosts) == {"vc-so-noi-vu", "dc-core-1"}
    assert changes["fp-later"] == []  # two hours on: nothing in the hour before it


def test_what_changed_without_state_is_empty_not_an_error(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    state = StatePaths.from_env(tmp_path / "nothing-here")
    changes, problems = what_changed([Group(link_down("so-noi-vu"))], Topology.of(example_inventory), state)
    assert changes == {"link": []} and problems == []
    assert not state.journal.exists()  # reading never creates the journal


# ---- the page, through a real Alertmanager ---------------------------------------------------

SITE = "xa-dam-rong"


def spoke_alerts() -> list[dict[str, str]]:
    common = {"site": SITE, "agency": "UBND xã Đam Rông", "test": "alerts-page"}
    return [
        common
        | {
            "alertname": "InfraWanLinkDown",
            "severity": "critical",
            "host": "wan-hub-1",
            "link_id": f"vpn-{SITE}",
            "link_kind": "tunnel",
            "peer_host": f"cpe-{SITE}",
            "peer_site": SITE,
            "hub_site": "dc",
            "cuts_off": "site",
        },
        common | {"alertname": "InfraDeviceUnreachable", "severity": "critical", "host": f"cpe-{SITE}"},
        common | {"alertname": "InfraDeviceUnreachable", "severity": "critical", "host": f"vc-{SITE}"},
        common
        | {
            "alertname": "InfraWanEndpointUnreachable",
            "severity": "critical",
            "host": f"cpe-{SITE}",
            "link_id": f"vpn-{SITE}",
            "cuts_off": "site",
        },
    ]


def test_the_page_shows_the_wan_link_as_root_through_alertmanager(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    post_alerts(alertmanager, spoke_alerts(), starts_at=datetime.now(UTC) - timedelta(minutes=12))
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(example_inventory, dead, alertmanager, tmp_path) as client:

        def link_group() -> dict[str, Any] | None:
            groups = client.get("/api/alerts", params={"site": SITE}).json()["groups"]
            found = [g for g in groups if g["root"]["name"] == "InfraWanLinkDown"]
            mine = [g for g in found if g["root"]["labels"].get("test") == "alerts-page"]
            # Alertmanager marks inhibitions as it reads: wait until all three say so.
            ok = (
                mine
                and [f["state"] for f in mine[0]["folded"] if f["labels"].get("test")] == ["inhibited"] * 3
            )
            return mine[0] if ok else None

        group = wait_for("the WAN link down with its site's alerts folded under it", link_group)
        folded = {(f["name"], f["labels"]["host"]) for f in group["folded"] if f["labels"].get("test")}
        assert folded == {
            ("InfraDeviceUnreachable", f"cpe-{SITE}"),
            ("InfraDeviceUnreachable", f"vc-{SITE}"),
            ("InfraWanEndpointUnreachable", f"cpe-{SITE}"),
        }
        assert all(f["state"] == "inhibited" for f in group["folded"] if f["labels"].get("test"))
        assert group["root"]["age"] == "12 min"
        facts = {f["label"]: f for f in group["root"]["facts"]}
        assert not any("cuts_off" in f["text"] for f in facts.values())  # inhibition machinery, not said
        assert facts["Agency"]["text"] == f"{example_inventory.sites[SITE].agency} ({SITE})"
        assert facts["Link"]["text"].startswith(f"WAN-VPN tunnel vpn-{SITE}: ")
        assert f"cpe-{SITE}" in facts["Link"]["text"] and "wan-hub-1" in facts["Link"]["text"]
        assert facts["Device"]["href"] == "/device/wan-hub-1" and "WAN-VPN hub" in facts["Device"]["text"]
        link = urllib.parse.urlsplit(group["root"]["silence"])
        assert (link.path, link.fragment) == ("/silences", "new")
        assert urllib.parse.parse_qs(link.query) == {
            "alert": [group["root"]["fingerprint"]],
            # what silences the link when the alert is gone by the time the link is followed
            "matchers": [
                f'alertname="InfraWanLinkDown"\nhost="wan-hub-1"\nsite="{SITE}"\nlink_id="vpn-{SITE}"'
            ],
        }
        assert group["root"]["runbook"] == "/runbooks/InfraWanLinkDown"

        page = client.get("/alerts", params={"site": SITE})
        assert page.status_code == 200
        root_id = group["id"]
        html = page.text
        start = html.index(f'id="group-{root_id}"')
        assert html.index('data-alert="InfraWanLinkDown"', start - 200) < html.index(f'id="folded-{root_id}"')
        assert f'id="runbook-{root_id}"' in html and "<h2>What it means</h2>" in html
        assert f'href="/silences?alert={root_id}&amp;matchers=' in html and 'href="/device/wan-hub-1"' in html
        assert " style=" not in html and "<script>" not in html
        live = client.get("/alerts", params={"site": SITE, "part": "live"})
        assert live.status_code == 200, live.text
        assert "<html" not in live.text, live.text[:3000]
        assert f'id="folded-{root_id}"' in live.text, live.text


def test_bad_filters_are_400(example_inventory: Inventory, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(example_inventory, dead, dead, tmp_path) as client:
        page = client.get("/alerts", params={"site": "no-such-site"})
        assert page.status_code == 400 and "no site named" in page.text
        api = client.get("/api/alerts", params={"host": "<b>x</b>"})
        assert api.status_code == 400 and api.json() == {
            "error": "no device named '<b>x</b>' in the inventory"
        }
        assert "<b>x</b>" not in client.get("/alerts", params={"host": "<b>x</b>"}).text
        ok = client.get("/alerts", params={"site": "so-noi-vu"})
        assert ok.status_code == 200 and "Alertmanager is not answering" in ok.text


def test_a_site_filter_keeps_the_groups_touching_it_with_their_root(
    example_inventory: Inventory, tmp_path: Path
) -> None:
    from infra.oncall.alerts import alerts_view

    alerts = [
        alert("InfraDeviceUnreachable", "hub", host="wan-hub-1", site="dc"),
        alert("InfraDeviceUnreachable", "cpe-x", host="cpe-xa-ta-nung", site="xa-ta-nung"),
        alert("InfraServerDiskFilling", "disk", "warning", host="srv-vc-1", site="dc"),
    ]
    state = StatePaths.from_env(tmp_path)
    view = alerts_view(example_inventory, Snapshot(alerts, taken=NOW), state, site="xa-ta-nung")
    assert [(g.root.fingerprint, [a.fingerprint for a in g.folded]) for g in view.groups] == [
        ("hub", ["cpe-x"])
    ]
    assert view.groups[0].folded[0].reason == "behind wan-hub-1, which does not answer"
    by_host = alerts_view(example_inventory, Snapshot(alerts, taken=NOW), state, host="srv-vc-1")
    assert [g.root.fingerprint for g in by_host.groups] == ["disk"]
    assert view.as_json()["filter"] == {"site": "xa-ta-nung", "host": None}


def test_a_silenced_alert_is_shown_apart_and_marked(
    example_inventory: Inventory, alertmanager: str, tmp_path: Path
) -> None:
    import httpx

    site = "xa-bao-lam"
    labels = {
        "alertname": "InfraDeviceUnreachable",
        "severity": "critical",
        "host": f"vc-{site}",
        "site": site,
    }
    post_alerts(alertmanager, [labels])
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in labels.items()],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "createdBy": "test",
        "comment": "codec moved",
    }
    httpx.post(f"{alertmanager}/api/v2/silences", json=silence, timeout=5).raise_for_status()
    dead = f"http://127.0.0.1:{free_port()}"
    with board_client(example_inventory, dead, alertmanager, tmp_path) as client:

        def silenced() -> list[dict[str, Any]]:
            got = client.get("/api/alerts", params={"site": site}).json()
            return got["silenced"] if not got["groups"] else []

        groups = wait_for("the silenced alert apart", silenced)
        assert [g["root"]["labels"]["host"] for g in groups] == [f"vc-{site}"]
        assert groups[0]["root"]["state"] == "silenced"
        html = client.get("/alerts", params={"site": site}).text
        assert html.index("<h2>Silenced</h2>") < html.index('<span class="mark silenced">silenced</span>')


def test_the_runbooks_board_links_point_at_the_board_itself() -> None:
    """docs/runbooks write the board's pages as `<board>/alerts`; on the board they are `/alerts`."""
    page = Runbooks().html("InfraWanLinkDown")
    assert page is not None
    assert "<code>/alerts</code>" in page and "&lt;board&gt;/" not in page
