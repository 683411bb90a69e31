"""BackupRepo's history API (log / resolve / at / diff) on a real git repository, and its
writer lock: what `infra backup log/diff/show` and `infra backup restore` read."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from infra.state.backups import BackupError, BackupRepo, host_of, parse_date


def commit_at(repo: BackupRepo, message: str, when: str, paths: list[str] | None = None) -> str:
    """A commit with a given commit date (git reads GIT_COMMITTER_DATE from the environment)."""
    old = {k: os.environ.get(k) for k in ("GIT_COMMITTER_DATE", "GIT_AUTHOR_DATE")}
    os.environ["GIT_COMMITTER_DATE"] = os.environ["GIT_AUTHOR_DATE"] = when
    try:
        commit = repo.commit(message, paths)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert commit is not None
    return commit


@pytest.fixture
def repo(tmp_path: Path) -> BackupRepo:
    r = BackupRepo(tmp_path / "backups").init()
    r.write("r1", "hostname r1\nbanner one\n")
    r.write("r2", "hostname r2\n")
    commit_at(r, "backup run a: 2 changed: r1, r2", "2026-12-01T10:00:00+00:00")
    r.write("r1", "hostname r1\nbanner two\n")
    r.write("r1", "hostname r1\n", startup=True)
    commit_at(r, "backup run b: 1 changed: r1", "2026-12-02T10:00:00+00:00")
    r.write("r2", "hostname r2\nntp server 10.0.0.1\n")
    commit_at(r, "backup run c: 1 changed: r2", "2026-12-03T10:00:00+00:00")
    return r


def test_log_lists_the_device_commits_newest_first_with_the_devices_each_changed(repo: BackupRepo) -> None:
    log = repo.log("r1")
    assert [c.subject for c in log] == ["backup run b: 1 changed: r1", "backup run a: 2 changed: r1, r2"]
    assert log[0].hosts == ("r1",)  # r1.cfg and startup/r1.cfg: one device
    assert set(log[1].hosts) == {"r1", "r2"}
    assert log[0].when > log[1].when
    assert len(repo.log("r1", limit=1)) == 1
    assert repo.log("nope") == []


def test_resolve_revisions_and_dates(repo: BackupRepo) -> None:
    head = repo.resolve("HEAD")
    assert repo.resolve(head[:10]) == head
    assert repo.resolve("HEAD~2") == repo.log("r1")[1].id
    # a date: the last commit at or before it; a bare date is the end of that day
    assert repo.resolve("2026-12-02T12:00:00+00:00") == repo.log("r1")[0].id
    assert repo.resolve("2026-12-02 09:59:59+00:00") == repo.log("r1")[1].id
    assert repo.resolve("2026-12-03") == head  # local time: any zone within 13 hours of UTC
    # with a host: the last commit that changed that device
    assert repo.resolve("2026-12-03T12:00:00+00:00", host="r1") == repo.log("r1")[0].id


@pytest.mark.parametrize("ref", ["nosuchrev", "2026-11-30", "-p", "", "2026-13-45"])
def test_resolve_names_what_it_cannot_find(repo: BackupRepo, ref: str) -> None:
    with pytest.raises(BackupError) as e:
        repo.resolve(ref)
    assert repr(ref.strip()) in str(e.value)


def test_at_reads_a_past_version_and_says_when_the_device_had_none(repo: BackupRepo) -> None:
    first = repo.log("r1")[1].id
    assert repo.at("r1", first) == "hostname r1\nbanner one\n"
    assert repo.at("r1", "2026-12-02T10:00:00+00:00") == "hostname r1\nbanner two\n"
    assert repo.at("r1", "HEAD", startup=True) == "hostname r1\n"
    with pytest.raises(BackupError, match="r1 has no startup config at"):
        repo.at("r1", first, startup=True)
    with pytest.raises(BackupError, match="r9 has no backup at 'HEAD'"):
        repo.at("r9", "HEAD")


def test_diff_last_change_since_a_revision_and_between_two(repo: BackupRepo) -> None:
    last = repo.diff("r1")
    assert "-banner one\n" in last and "+banner two\n" in last
    assert last.startswith("--- r1.cfg@")
    first = repo.log("r2")[-1].id
    assert "+ntp server 10.0.0.1" in repo.diff("r2", first)
    assert repo.diff("r2", "HEAD", "HEAD") == ""
    back = repo.diff("r1", "HEAD", "2026-12-01T10:00:00+00:00")
    assert "-banner two" in back and "+banner one" in back
    only_one = repo.diff("r1", None, None, startup=True)
    assert "+hostname r1" in only_one  # the first version: a diff from nothing
    with pytest.raises(BackupError, match="r9 has no backup"):
        repo.diff("r9")


def test_commit_of_named_paths_leaves_other_writers_files_alone(tmp_path: Path) -> None:
    r = BackupRepo(tmp_path / "b").init()
    r.write("r1", "a\n")
    r.write("r2", "b\n")
    c = r.commit("only r1", ["r1.cfg"])
    assert c is not None
    assert r.latest("r1") == "a\n" and r.latest("r2") is None
    assert r.commit("nothing", ["r1.cfg"]) is None
    assert r.commit("r2 now") is not None and r.latest("r2") == "b\n"


def test_transaction_excludes_another_process(tmp_path: Path) -> None:
    """A second process's commit waits until this writer's write-then-commit is done."""
    r = BackupRepo(tmp_path / "b").init()
    r.write("r0", "seed\n")
    r.commit("seed")
    script = (
        "import sys; from pathlib import Path; from infra.state.backups import BackupRepo;"
        "r = BackupRepo(Path(sys.argv[1])); r.write('other', 'x\\n'); print(r.commit('other process'))"
    )
    with r.transaction():
        r.write("r1", "mine\n")
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(r.path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the other process committed while this one held the repository"
        assert not r.file("other").exists()
        r.commit("mine", ["r1.cfg"])
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and out.strip()
    subjects = [c.subject for c in r.log("r1")] + [c.subject for c in r.log("other")]
    assert subjects == ["mine", "other process"]
    assert r.log("r1")[0].hosts == ("r1",)


def test_transaction_is_reentrant_across_threads_in_turn(tmp_path: Path) -> None:
    r = BackupRepo(tmp_path / "b").init()
    order: list[str] = []

    def writer(name: str) -> None:
        with r.transaction():
            order.append(name + "+")
            r.write(name, name)
            with r.transaction():
                r.commit(name, [r.name(name)])
            order.append(name + "-")

    threads = [threading.Thread(target=writer, args=(f"h{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(order) == 8
    assert all(order[i][:-1] == order[i + 1][:-1] for i in range(0, 8, 2))  # never interleaved
    assert all(len(r.log(f"h{i}")) == 1 for i in range(4))


def test_host_of_and_parse_date() -> None:
    assert host_of("r1.cfg") == "r1" and host_of("startup/r1.cfg") == "r1"
    assert host_of("README") is None and host_of("x/r1.cfg") is None
    assert parse_date("2026-12-01").date().isoformat() == "2026-12-01"
    assert parse_date("2026-12-01") - parse_date("2026-12-01 00:00") > timedelta(hours=23)
    with pytest.raises(BackupError, match="'yesterday' is not a date"):
        parse_date("yesterday")
