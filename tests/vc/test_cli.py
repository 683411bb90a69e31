"""`infra vc check` end to end through the CLI, with the example province's inventory and fake
codecs: exit codes, the table, JSON and JUnit, the journal, the metrics file, secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from infra.cli import cli
from infra.inventory import Inventory
from infra.journal import Journal
from infra.vc.checks import Toolkit
from infra.vc.model import CheckPlan
from tests.conftest import INVENTORY, LAB_SECRETS
from tests.safety.routes import LAB_UP, fake_routes
from tests.vc.fakes import Bench

CODEC_PW = "Lab-Codec-Pw-6m2k"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bench:
    """The CLI's toolkit made of fakes; the guard sees the lab up; state in tmp_path."""
    fake_routes(monkeypatch, *LAB_UP)
    monkeypatch.setenv("INFRA_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("INFRA_TEXTFILE_DIR", raising=False)
    made = Bench()
    seen: dict[str, Any] = {}

    def toolkit(inv: Inventory, plan: CheckPlan, **kw: Any) -> Toolkit:
        seen.update(kw)
        return made.toolkit(
            test_room_uri=plan.test_room_uri,
            thresholds=plan.thresholds,
            mask=inv.secrets.mask,
            skip=kw["skip"],
        )

    monkeypatch.setattr("infra.cli.vc_cmd.default_toolkit", toolkit)
    made.seen = seen  # type: ignore[attr-defined]
    return made


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), "vc", "check", *args])


def test_every_endpoint_ready_exits_0_with_a_line_each(bench: Bench, tmp_path: Path) -> None:
    r = invoke("--meeting", "giao-ban-ubnd", "--skip", "dscp")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0].split() == ["ENDPOINT", "SITE", "AGENCY", "CHECK", "RESULT"]
    assert len(lines) == 1 + 20 + 2 and lines[-1] == "20 of 20 endpoints ready for giao-ban-ubnd"
    assert all(line.rstrip().endswith("ready (dscp skipped (--skip))") for line in lines[1:21])
    assert len(bench.codecs) == 20 and all(c.hung_up == [1] for c in bench.codecs.values())
    journal = Journal(tmp_path / "state" / "journal.sqlite")
    run = journal.runs()[0]
    assert run.status == "ok" and run.counts == {"ready": 20, "not_ready": 0}
    metrics = (tmp_path / "state" / "metrics" / "vc_check-giao-ban-ubnd.prom").read_text()
    assert metrics.count("infra_vc_ready{") == 20


def test_a_commune_that_is_not_registered_exits_1_naming_its_wan_link(bench: Bench) -> None:
    bench.per_host["vc-xa-da-huoai"] = {"registration": "Failed"}
    bench.links.up = False
    r = invoke("--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    assert (doc["ready"], doc["not_ready"], doc["exit_code"]) == (19, 1, 1)
    bad = [e for e in doc["endpoints"] if not e["ready"]]
    assert [(e["endpoint"], e["failed_check"], e["agency"]) for e in bad] == [
        ("vc-xa-da-huoai", "registered", "Xã Đạ Huoai")
    ]
    assert bad[0]["message"] == (
        "not registered (Failed): WAN link vpn-xa-da-huoai is down -> check the commune's CPE "
        "cpe-xa-da-huoai and its tunnel"
    )


def test_limit_and_junit(bench: Bench) -> None:
    r = invoke("-l", "vc-so-noi-vu,vc-xa-lam-ha", "--format", "junit")
    assert r.exit_code == 0, r.output
    assert r.output.count("<testcase ") == 2 and 'name="vc-xa-lam-ha"' in r.output
    assert sorted(bench.codecs) == ["vc-so-noi-vu", "vc-xa-lam-ha"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--meeting", "hop-bat-thuong"], "Error: unknown meeting 'hop-bat-thuong' (known: giao-ban-ubnd)"),
        (
            ["-l", "dc-core-1"],
            "Error: --limit dc-core-1 selects no VC endpoint (role vc_endpoint, platform cisco_tp)",
        ),
        (
            ["-l", "vc-nowhere"],
            "Error: --limit: host pattern 'vc-nowhere' matches no host or group of the inventory",
        ),
    ],
)
def test_bad_input_exits_2_before_any_contact(
    bench: Bench, tmp_path: Path, args: list[str], message: str
) -> None:
    r = invoke(*args)
    assert r.exit_code == 2 and r.output.strip() == message
    assert bench.codecs == {} and not (tmp_path / "state" / "journal.sqlite").exists()


def test_metrics_go_to_the_textfile_directory(
    bench: Bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRA_TEXTFILE_DIR", str(tmp_path / "textfile"))
    assert invoke("-l", "vc-so-noi-vu").exit_code == 0
    text = (tmp_path / "textfile" / "vc_check.prom").read_text()
    assert 'infra_vc_ready{endpoint="vc-so-noi-vu",site="so-noi-vu",meeting=""} 1' in text


def test_secrets_never_in_the_output_or_the_journal(bench: Bench, tmp_path: Path) -> None:
    bench.codec_options = {"registration": "Failed", "secret_in_answers": f" {CODEC_PW}"}
    for fmt in ("table", "json", "junit"):
        r = invoke("-l", "vc-xa-da-huoai,vc-so-y-te", "--format", fmt)
        assert r.exit_code == 1, r.output
        assert "secret&gt;" in r.output if fmt == "junit" else "<secret>" in r.output
        for secret in (*LAB_SECRETS, CODEC_PW):
            assert secret not in r.output
    stored = (tmp_path / "state" / "journal.sqlite").read_bytes().decode("utf-8", "replace")
    assert CODEC_PW not in stored and "<secret>" in stored
