"""A whole run over several endpoints: results in order, the journal entry, the metrics textfile,
the JSON and JUnit shapes, and the exit code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra.journal import Journal
from infra.vc.metrics import metrics_path, readiness_metrics
from infra.vc.model import CheckPlan, Thresholds
from infra.vc.probes import MarkCounts
from infra.vc.report import render
from infra.vc.run import EXIT_INTERRUPTED, EXIT_NOT_READY, EXIT_OK, run_checks
from tests.vc.fakes import Bench, FakeMarks, endpoint

SECRET = "Lab-Codec-Pw-6m2k"


def plan(*names: str, meeting: str | None = "giao-ban-ubnd") -> CheckPlan:
    return CheckPlan(
        meeting,
        [endpoint(n) for n in names],
        "sip:testroom@vc.lamvien.gov.vn",
        "srv-vc-1",
        Thresholds(),
    )


NAMES = ("vc-so-noi-vu", "vc-xa-da-huoai", "vc-xa-lam-ha")
M = 'meeting="giao-ban-ubnd"'


def test_all_ready_exits_0_and_journals_each_endpoint(tmp_path: Path) -> None:
    bench = Bench(marks=FakeMarks(MarkCounts(10, 10)))
    journal = Journal(tmp_path / "journal.sqlite", (SECRET,))
    out = tmp_path / "metrics" / "vc_check-giao-ban-ubnd.prom"
    report = run_checks(
        plan(*NAMES), bench.toolkit(), forks=2, journal=journal, command="infra vc check", metrics_file=out
    )
    assert report.exit_code == EXIT_OK and report.status == "ok"
    assert [r.endpoint.host for r in report.results] == list(NAMES)
    run = journal.runs()[0]
    assert (run.command, run.status, run.counts) == ("infra vc check", "ok", {"ready": 3, "not_ready": 0})
    entries = journal.device_history("vc-xa-da-huoai")
    assert [(e.status, e.message) for e in entries] == [("ok", "ready")]
    assert (
        'infra_vc_ready{endpoint="vc-xa-lam-ha",site="xa-lam-ha",meeting="giao-ban-ubnd"} 1'
        in out.read_text()
    )


def test_one_endpoint_not_ready_exits_1_and_the_journal_says_why(tmp_path: Path) -> None:
    bench = Bench(per_host={"vc-xa-da-huoai": {"registration": "Failed"}}, unreachable={"vc-xa-lam-ha"})
    bench.links.up = False
    journal = Journal(tmp_path / "j.sqlite")
    report = run_checks(plan(*NAMES), bench.toolkit(), forks=3, journal=journal)
    assert report.exit_code == EXIT_NOT_READY and report.status == "failed"
    assert [r.ready for r in report.results] == [True, False, False]
    by_host = {e.host: e for e in journal.device_history(limit=10)}
    assert by_host["vc-xa-da-huoai"].status == "failed" and by_host["vc-xa-da-huoai"].task == "registered"
    assert "WAN link vpn-xa-da-huoai is down" in by_host["vc-xa-da-huoai"].message
    assert by_host["vc-xa-lam-ha"].status == "unreachable"
    assert journal.runs()[0].counts == {"ready": 1, "not_ready": 2}
    # a not-ready endpoint is not a device left in an unknown state: not for `history --attention`
    assert journal.attention() == []


def test_an_interrupt_starts_no_more_endpoints_and_exits_130(tmp_path: Path) -> None:
    bench = Bench()
    bench.clock.stop.set()
    report = run_checks(plan(*NAMES), bench.toolkit(), forks=1, journal=Journal(tmp_path / "j.sqlite"))
    assert report.exit_code == EXIT_INTERRUPTED and report.status == "interrupted"
    assert [r.line() for r in report.results] == ["not started: interrupted"] * 3
    assert bench.codecs == {}


def test_metrics_textfile_content() -> None:
    bench = Bench(per_host={"vc-xa-da-huoai": {"loss_in": 0.05}})
    report = run_checks(plan("vc-so-noi-vu", "vc-xa-da-huoai"), bench.toolkit(), forks=1)
    text = readiness_metrics(report.results, "giao-ban-ubnd", now=1765000000)
    lines = text.splitlines()
    noi_vu, da_huoai = (
        'endpoint="vc-so-noi-vu",site="so-noi-vu"',
        'endpoint="vc-xa-da-huoai",site="xa-da-huoai"',
    )
    assert f"infra_vc_ready{{{noi_vu},{M}}} 1" in lines
    assert f"infra_vc_ready{{{da_huoai},{M}}} 0" in lines
    assert f'infra_vc_check_failed{{endpoint="vc-xa-da-huoai",check="test call",{M}}} 1' in lines
    assert f'infra_vc_check_failed{{endpoint="vc-xa-da-huoai",check="registered",{M}}} 0' in lines
    assert f"infra_vc_call_loss_ratio{{{da_huoai},{M}}} 0.050000" in lines
    assert f"infra_vc_call_jitter_seconds{{{noi_vu},{M}}} 0.002000" in lines
    assert any(line.startswith('infra_vc_call_mos{endpoint="vc-so-noi-vu"') for line in lines)
    assert 'infra_vc_check_timestamp_seconds{meeting="giao-ban-ubnd"} 1765000000' in lines
    for name in ("infra_vc_ready", "infra_vc_call_mos", "infra_vc_check_timestamp_seconds"):
        assert f"# TYPE {name} gauge" in lines
    assert metrics_path(Path("/m"), "giao-ban-ubnd") == Path("/m/vc_check-giao-ban-ubnd.prom")
    assert metrics_path(Path("/m"), None) == Path("/m/vc_check.prom")


def test_json_and_junit_shapes() -> None:
    bench = Bench(per_host={"vc-xa-da-huoai": {"registration": "Failed"}})
    bench.links.load = None  # Prometheus down: headroom unknown
    report = run_checks(plan("vc-so-noi-vu", "vc-xa-da-huoai"), bench.toolkit(), forks=2)
    doc = json.loads(render(report.results, "json", "giao-ban-ubnd", report.summary()))
    assert (
        doc["meeting"] == "giao-ban-ubnd"
        and doc["exit_code"] == 1
        and (doc["ready"], doc["not_ready"]) == (0, 2)
    )
    first, second = doc["endpoints"]
    assert first["endpoint"] == "vc-so-noi-vu" and first["failed_check"] == "headroom" and not first["ready"]
    assert first["checks"][-1]["outcome"] == "unknown" and first["call"]["mos"] > 4
    assert second["failed_check"] == "registered" and second["call"] is None
    assert [c["name"] for c in second["checks"]] == ["reachable", "login", "config", "registered"]
    root = ET.fromstring(render(report.results, "junit", "giao-ban-ubnd", {}).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "vc check giao-ban-ubnd"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["vc-xa-da-huoai"].find("failure")
    assert failure is not None and failure.get("message", "").startswith("not registered (Failed)")
    assert failure.text is not None and "registered: fail:" in failure.text
    assert cases["vc-so-noi-vu"].find("error") is not None


def test_table_one_line_per_endpoint_and_a_summary() -> None:
    bench = Bench(per_host={"vc-xa-da-huoai": {"registration": "Failed"}})
    report = run_checks(plan("vc-so-noi-vu", "vc-xa-da-huoai"), bench.toolkit(), forks=2)
    lines = render(report.results, "table", "giao-ban-ubnd", {}).splitlines()
    assert lines[0].split() == ["ENDPOINT", "SITE", "AGENCY", "CHECK", "RESULT"]
    cells = [re.split(r"\s{2,}", line) for line in lines[1:3]]
    assert cells[0] == [
        "vc-so-noi-vu",
        "so-noi-vu",
        "UBND so-noi-vu",
        "-",
        "ready (DSCP not observed (nothing on the WAN path counts marks here))",
    ]
    assert cells[1][:4] == ["vc-xa-da-huoai", "xa-da-huoai", "UBND xa-da-huoai", "registered"]
    assert cells[1][4].startswith("not registered (Failed) though WAN link vpn-xa-da-huoai is up -> ")
    assert lines[-1] == "1 of 2 endpoints ready for giao-ban-ubnd"


def test_secrets_never_reach_the_journal_or_the_output(tmp_path: Path) -> None:
    bench = Bench(codec_options={"registration": "Failed", "secret_in_answers": f" {SECRET}"})
    tk = bench.toolkit(mask=lambda s: s.replace(SECRET, "<secret>"))
    journal = Journal(tmp_path / "j.sqlite", (SECRET,))  # refuses any text holding the secret
    out = tmp_path / "m.prom"
    report = run_checks(plan(*NAMES), tk, forks=2, journal=journal, metrics_file=out)
    for fmt in ("table", "json", "junit"):
        assert SECRET not in render(report.results, fmt, "m", report.summary())
    assert SECRET not in out.read_text() and SECRET not in (tmp_path / "j.sqlite").read_bytes().decode(
        "latin-1"
    )
    assert "<secret>" in journal.device_history("vc-xa-da-huoai")[0].message


def test_the_textfile_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/setup.sh installs it)")
    bench = Bench(per_host={"vc-xa-da-huoai": {"registration": "Failed"}})
    report = run_checks(plan(*NAMES), bench.toolkit(), forks=2, metrics_file=tmp_path / "vc.prom")
    text = (tmp_path / "vc.prom").read_text()
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr
    assert report.exit_code == EXIT_NOT_READY
