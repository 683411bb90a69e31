"""Every URL we tell an operator to open works on Debian's packages (issue 14, point 6).

The URLs are collected, not listed: every http(s) URL on 127.0.0.1 or localhost that `make demo`
(scripts/demo.sh), `infra monitoring up`, the README, docs/*.md and docs/runbooks/*.md print or
link, and every `<board>/...` link of the docs (the board's base URL placeholder, see
docs/monitoring.md). Each is requested against a running stack (real Prometheus with two shards
and the global view, real Alertmanager, the exporters and the board; no lab: nothing is scraped)
and must answer 200 (after redirects). A URL's port says which process it means: the stack's
defaults (`Ports()`, 19090 ...) or the production defaults of the same programs (9090 ...).
Placeholders such as `<host>` are filled with a device of the example inventory.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from infra.inventory import Inventory
from infra.monitoring.stack import Ports, Stack, StackError, start_stack, stop_stack
from tests.ports import port_in_use, with_fresh_ports

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "scripts" / "demo.sh", ROOT / "README.md"]
SOURCES += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs" / "runbooks").glob("*.md"))

# a URL may contain placeholders like <host>; it ends at whitespace, a quote, a backtick or a bracket
_PATH = r"(?:[^\s`'\"<>()\[\]]|<[a-z_]+>)*"
LOOPBACK_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(?::\d+)?" + _PATH)
BOARD_LINK = re.compile(r"<board>(/" + _PATH + ")")
PLACEHOLDER = re.compile(r"<([a-z_]+)>")

SHARDS = 2
DEFAULTS = Ports()
PRODUCTION = {9090: "prometheus", 9093: "alertmanager", 9115: "blackbox", 9116: "snmp-exporter"}
PRODUCTION |= {9117: "sip-probe", 9180: "board"}  # RenderOptions' and `infra oncall serve`'s defaults


def process_of(port: int) -> str | None:
    """Which of the stack's processes a port of the docs means."""
    lab = {
        DEFAULTS.prometheus: "prometheus",
        DEFAULTS.alertmanager: "alertmanager",
        DEFAULTS.blackbox: "blackbox",
        DEFAULTS.snmp_exporter: "snmp-exporter",
        DEFAULTS.sip_probe: "sip-probe",
        DEFAULTS.oncall: "board",
    } | {DEFAULTS.shard(i): f"prometheus-shard-{i}" for i in range(SHARDS)}
    return lab.get(port) or PRODUCTION.get(port)


def collect(text: str) -> list[tuple[str | None, str]]:
    """(process or None for a literal loopback URL, URL or board path) found in TEXT."""
    found: list[tuple[str | None, str]] = []
    for m in LOOPBACK_URL.finditer(text):
        found.append((None, m[0].rstrip(".,;:")))
    for m in BOARD_LINK.finditer(text):
        found.append(("board", m[1].rstrip(".,;:")))
    return found


def fill(url: str, values: dict[str, str], where: str) -> str:
    def value(m: re.Match[str]) -> str:
        if m[1] not in values:
            pytest.fail(f"{where}: {url}: no example value for the placeholder <{m[1]}>")
        return values[m[1]]

    return PLACEHOLDER.sub(value, url)


def resolve(stack: Stack, process: str | None, url: str, where: str) -> str:
    """The running stack's URL for a URL of the docs (its port mapped to the stack's process)."""
    if process == "board":
        return stack.urls["board"] + url
    parts = urllib.parse.urlsplit(url)
    running = {urllib.parse.urlsplit(u).port: n for n, u in stack.urls.items()}  # what `up` printed
    name = running.get(parts.port) or process_of(parts.port or 80)
    if name is None or name not in stack.urls:
        pytest.fail(f"{where}: {url}: port {parts.port} is not a process of `infra monitoring up`")
    base = urllib.parse.urlsplit(stack.urls[name])
    return urllib.parse.urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))


def status(url: str) -> int:
    quoted = urllib.parse.quote(url, safe=":/?&=%+,;@")
    try:
        with urllib.request.urlopen(quoted, timeout=15) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


@pytest.fixture(scope="module")
def stack(example_inventory: Inventory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    out = tmp_path_factory.mktemp("links")

    def start(p: list[int]) -> Stack:
        return start_stack(
            example_inventory,
            out,
            Ports(*p[:6], shards=tuple(p[6:])),
            lab_stand_ins=False,
            with_targets=False,
            shards=SHARDS,
        )

    s = with_fresh_ports(6 + SHARDS, start, lambda e: isinstance(e, StackError) and port_in_use(str(e)))
    try:
        yield s
    finally:
        stop_stack(out)


def monitoring_up_output(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """What `infra monitoring up --shards 2` prints, for this (already running) stack."""
    from infra.cli import cli
    from tests.safety.routes import LAB_UP, fake_routes

    fake_routes(monkeypatch, *LAB_UP)
    monkeypatch.setattr("infra.cli.monitoring_cmd.start_stack", lambda *a, **kw: stack)
    r = CliRunner().invoke(cli, ["monitoring", "up", "--out", str(tmp_path), "--shards", str(SHARDS)])
    assert r.exit_code == 0, r.output
    return r.output


def example_values(inv: Inventory) -> dict[str, str]:
    hub = inv.wan_vpn.hub if inv.wan_vpn else sorted(inv.hosts)[0]
    return {"host": hub, "site": inv.hosts[hub].site, "alertname": "InfraWanLinkDown"}


def test_every_printed_and_linked_url_answers(
    stack: Stack, example_inventory: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = monitoring_up_output(stack, tmp_path, monkeypatch)
    first = LOOPBACK_URL.search(printed)
    assert first and first[0] == stack.urls["board"] + "/province", "the board is printed first"
    texts = {"infra monitoring up": printed} | {str(p.relative_to(ROOT)): p.read_text() for p in SOURCES}
    values = example_values(example_inventory)
    cited: dict[str, list[str]] = {}  # the stack's URL -> where the docs name it
    for where, text in texts.items():
        for process, url in collect(text):
            target = resolve(stack, process, fill(url, values, where), where)
            cited.setdefault(target, []).append(f"{where}: {url}")
    checked = {target: status(target) for target in cited}
    broken = {target: (code, cited[target]) for target, code in checked.items() if code != 200}
    assert broken == {}, "URLs that do not answer 200 on Debian's packages"
    citing = {w.split(": ", 1)[0] for sources in cited.values() for w in sources}
    runbooks = {str(p.relative_to(ROOT)) for p in SOURCES if p.parent.name == "runbooks"}
    assert {"infra monitoring up", "scripts/demo.sh", "README.md", "docs/monitoring.md"} | runbooks <= citing
    # the sources name the pages that matter (a regex that finds nothing would pass vacuously)
    paths = {urllib.parse.urlsplit(u).path for u in checked}
    assert {"/province", "/alerts", "/silences", f"/device/{values['host']}"} <= paths
    assert {"/classic/alerts", "/classic/targets", "/api/v2/alerts"} <= paths
    assert len(checked) >= 12


def test_the_collector_finds_placeholders_and_skips_trailing_punctuation() -> None:
    text = "open http://127.0.0.1:19090/classic/targets, then `<board>/device/<host>`; and <board>/alerts."
    assert collect(text) == [
        (None, "http://127.0.0.1:19090/classic/targets"),
        ("board", "/device/<host>"),
        ("board", "/alerts"),
    ]


def test_the_react_and_alertmanager_ui_paths_debian_lacks_are_what_the_check_would_catch(
    stack: Stack,
) -> None:
    """The reason for /classic/...: Debian's Prometheus answers 404 on the React UI's paths."""
    assert status(stack.urls["prometheus"] + "/alerts") == 404
    assert status(stack.urls["prometheus"] + "/targets") == 404
    assert status(stack.urls["prometheus"] + "/classic/alerts") == 200
