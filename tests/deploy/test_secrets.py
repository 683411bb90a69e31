"""No secret of the lab ever lands in deploy output, journal, backups, diffs or session logs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from infra.deploy import DeployReport
from infra.inventory import Inventory
from infra.inventory.models import Host
from infra.state import StatePaths
from tests.conftest import LAB_SECRETS
from tests.deploy.fakes import FakeNetwork, fake_intent


def _all_text(root: Path) -> str:
    """Every file below root as text: finds plain files (work trees, SQLite, locks), not what is
    compressed (git's objects: see _git_objects)."""
    out = []
    for p in root.rglob("*"):
        if p.is_file():
            out.append(p.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(out)


def _git_objects(repo: Path) -> str:
    """Every object of a git repository, uncompressed: commits, trees and blobs, loose or packed,
    reachable from a ref or not (the files under .git/objects are zlib-compressed, so searching
    them as bytes would prove nothing)."""
    return subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", errors="replace")


def test_no_secret_in_output_journal_or_backups(
    run: Callable[..., DeployReport], net: FakeNetwork, inv: Inventory, paths: StatePaths
) -> None:
    first = run("core_routers,cpe", comment="converge")

    def rotated(i: Inventory, h: Host) -> str:  # a change touching secret-bearing lines
        return fake_intent(i, h).replace("md5 ", "md5 X")

    second = run("core_routers,cpe", intent=rotated, check=True, diff=True)
    third = run("core_routers,cpe", intent=rotated)
    net.down.add("dc-core-1")
    fourth = run("core_routers")
    # the device configs do hold the secrets: the test would catch a leak
    assert any(s in net.configs["dc-core-2"] for s in LAB_SECRETS)
    outputs = [json.dumps(r.as_dict()) for r in (first, second, third, fourth)]
    assert "<secret>" in outputs[1]
    git_log = subprocess.run(
        ["git", "-C", str(paths.backups), "log", "-p", "--all"], capture_output=True, text=True
    ).stdout
    assert "<secret>" in git_log
    objects = _git_objects(paths.backups)
    assert "<secret>" in objects  # the masked configs are there, readable: a leak would be too
    stored = _all_text(paths.root)  # journal (SQLite), backups' work tree, locks
    texts = [
        ("output", "\n".join(outputs)),
        ("backups", git_log),
        ("backup objects", objects),
        ("state", stored),
    ]
    for secret in LAB_SECRETS:
        for where, text in texts:
            assert secret not in text, f"{secret!r} leaked into {where}"


def test_backup_and_journal_refuse_unmasked_text(tmp_path: Path) -> None:
    import pytest

    from infra.journal import Journal
    from infra.results import Result
    from infra.state.backups import BackupError, BackupRepo

    repo = BackupRepo(tmp_path / "b", ("Lab-Bgp-Md5-2c7x",))
    with pytest.raises(BackupError, match="unmasked secret"):
        repo.write("r1", "neighbor 10.0.0.1 password Lab-Bgp-Md5-2c7x\n")
    journal = Journal(tmp_path / "j.sqlite", ("Lab-Bgp-Md5-2c7x",))
    journal.start_run("r", "infra deploy")
    with pytest.raises(ValueError, match="unmasked secret"):
        journal.record_device("r", Result("r1", diff="+ password Lab-Bgp-Md5-2c7x"))
