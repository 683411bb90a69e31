"""The bridge end to end without the lab: a real ansible-playbook through ansible-runner on this
machine (connection local), one host unreachable on a closed 127.0.0.1 port."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

import infra.ansible.run as bridge
from infra.ansible import converge_servers
from infra.ansible.events import EventCollector
from infra.results import Status
from tests.conftest import LAB_SECRETS

PLAYBOOK = Path(__file__).parent / "playbooks" / "local.yml"
HOSTS = ["srv-portal-1", "srv-onestop-1", "srv-log-1"]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Where the private_data_dir was, and every file in it when the playbook ended."""
    seen: dict[str, Any] = {"dirs": [], "files": {}}
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(suffix: str | None = None, prefix: str | None = None, dir: str | None = None) -> str:
        if dir is not None:  # not the bridge's (e.g. Ansible's own, when the vault is first opened)
            return real_mkdtemp(suffix, prefix, dir)
        path: str = real_mkdtemp(suffix, prefix, dir=tmp_path)
        seen["dirs"].append(Path(path))
        return path

    class Snapshot(EventCollector):
        def __call__(self, event: dict[str, Any]) -> bool:
            if event.get("event") == "playbook_on_stats":
                for f in seen["dirs"][-1].rglob("*"):
                    if f.is_file() and not f.is_symlink():
                        seen["files"][str(f)] = f.read_bytes()
            return super().__call__(event)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    # Every connection here is local or to 127.0.0.1: the lab need not be up (see test_lab_guard).
    monkeypatch.setattr(bridge, "require_lab_up", lambda inv: None)
    monkeypatch.setattr(bridge, "EventCollector", Snapshot)
    return seen


def run(inv: Any, out: Path, check: bool = False, **extra: Any) -> dict[str, Any]:
    hosts = [inv.hosts[h] for h in HOSTS] + [inv.hosts["dc-core-1"]]  # a router: not a server
    result = converge_servers(
        inv, hosts, check, check, playbook=PLAYBOOK, forks=3, extravars={"test_dir": str(out), **extra}
    )
    return result.results


def test_converge_reports_each_host_and_passes_the_vault_through(
    example_inventory: Any, tmp_path: Path, spy: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    r = run(example_inventory, out)
    assert sorted(r) == sorted(HOSTS)  # the router is not the bridge's business
    assert r["srv-portal-1"].status == Status.CHANGED
    assert r["srv-portal-1"].details["changed_tasks"] == ["Write the host's file"]
    assert r["srv-portal-1"].message == "2 task(s) changed (1 with output hidden by no_log)"
    assert r["srv-onestop-1"].status == Status.FAILED
    assert r["srv-onestop-1"].task == "Fail on purpose on one host"
    assert r["srv-onestop-1"].message == "planned failure on srv-onestop-1"
    assert r["srv-log-1"].status == Status.UNREACHABLE and r["srv-log-1"].message
    # The vaulted value reached the host: Ansible decrypted it with the same password file.
    assert (out / "srv-portal-1.secret").read_text() == "Lab-Snmp-Auth-4h8w"

    # No secret in the results; while ansible-runner ran, its private_data_dir held no secret
    # and no copy of the vault password file; after the run it is gone.
    text = json.dumps({h: x.as_dict() for h, x in r.items()})
    for secret in LAB_SECRETS:
        assert secret not in text
    assert spy["files"], "the snapshot saw no file: the spy is broken"
    for name, content in spy["files"].items():
        for secret in LAB_SECRETS:
            assert secret.encode() not in content, f"{secret!r} found in {name}"
    assert spy["dirs"] and not any(d.exists() for d in spy["dirs"])

    # Second run: nothing to change on the converged host.
    again = run(example_inventory, out)
    assert again["srv-portal-1"].status == Status.OK and not again["srv-portal-1"].changed


def test_check_mode_reports_drift_with_a_diff(
    example_inventory: Any, tmp_path: Path, spy: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run(example_inventory, out)
    (out / "srv-portal-1.txt").write_text("hand edit\n")
    r = run(example_inventory, out, check=True)
    assert r["srv-portal-1"].changed and r["srv-portal-1"].message == "drift in 1 task(s)"
    assert "-hand edit\n+hello srv-portal-1" in r["srv-portal-1"].diff
    assert (out / "srv-portal-1.txt").read_text() == "hand edit\n"  # check mode touched nothing
