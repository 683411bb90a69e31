"""ansible-runner events -> Results: the mapping, diffs and masking (no Ansible run needed)."""

from __future__ import annotations

from typing import Any

from infra.ansible.events import EventCollector, render_diff
from infra.results import Status


def ev(kind: str, host: str = "", task: str = "", **data: Any) -> dict[str, Any]:
    event_data: dict[str, Any] = {"host": host, "task": task, **data}
    return {"event": kind, "event_data": event_data}


def collect(events: list[dict[str, Any]], hosts: list[str], check: bool = False) -> dict[str, Any]:
    c = EventCollector(lambda text: text.replace("s3cret", "<secret>"))
    for e in events:
        assert c(e) is False  # never ask ansible-runner to write the event to disk
    return c.run_result(hosts, check, 0, "successful").results


def test_ok_changed_failed_unreachable_per_host() -> None:
    events = [
        ev("runner_on_ok", "a", "Configure sshd", role="baseline", res={"changed": False}),
        ev("runner_on_ok", "b", "Configure sshd", role="baseline", res={"changed": True}),
        ev("runner_on_failed", "c", "Configure chrony", role="baseline", res={"msg": "boom", "stderr": "x"}),
        ev("runner_on_unreachable", "d", "Gathering Facts", res={"msg": "ssh: connect refused"}),
        ev("playbook_on_stats", changed={"b": 1}, failures={"c": 1}, dark={"d": 1}, ok={"a": 1, "b": 1}),
    ]
    r = collect(events, ["a", "b", "c", "d", "e"])
    assert [r[h].status for h in "abcde"] == [
        Status.OK,
        Status.CHANGED,
        Status.FAILED,
        Status.UNREACHABLE,
        Status.FAILED,  # never reported by Ansible: not silently ok
    ]
    assert r["b"].details["changed_tasks"] == ["baseline : Configure sshd"]
    assert r["c"].task == "baseline : Configure chrony" and r["c"].message == "boom; x"
    assert r["d"].unreachable and "connect refused" in r["d"].message
    assert r["b"].details["stats"] == {"changed": 1, "ok": 1}
    assert "no result from Ansible" in r["e"].message


def test_ignored_failures_do_not_fail_the_host() -> None:
    r = collect([ev("runner_on_failed", "a", "probe", ignore_errors=True, res={"msg": "no"})], ["a"])
    assert r["a"].status == Status.OK


def test_check_mode_changes_are_drift_with_their_diff() -> None:
    diff = {
        "before": "PermitRootLogin yes\nUsePAM yes\n",
        "after": "PermitRootLogin no\nUsePAM yes\n",
        "before_header": "/etc/ssh/sshd_config",
        "after_header": "/root/.ansible/tmp/xyz/sshd_config.j2",
    }
    r = collect(
        [ev("runner_on_ok", "a", "Configure sshd", res={"changed": True, "diff": [diff]})], ["a"], True
    )
    assert r["a"].changed and r["a"].message == "drift in 1 task(s)"
    assert "-PermitRootLogin yes\n+PermitRootLogin no" in r["a"].diff
    assert "--- /etc/ssh/sshd_config (on the server)" in r["a"].diff
    assert ".ansible/tmp" not in r["a"].diff


def test_loop_item_diffs_and_prepared_diffs() -> None:
    res = {
        "changed": True,
        "results": [
            {"changed": True, "diff": {"before": "a\n", "after": "b\n", "before_header": "/etc/x"}},
            {"changed": False, "diff": {"before": "same\n", "after": "other\n"}},
        ],
    }
    r = collect([ev("runner_on_ok", "a", "Loop", res=res)], ["a"], True)
    assert "-a\n+b" in r["a"].diff and "other" not in r["a"].diff
    assert render_diff({"prepared": "+ line"}) == "+ line\n"
    assert render_diff({"before": "same", "after": "same"}) == ""


def test_secrets_are_masked_in_messages_and_diffs() -> None:
    events = [
        ev("runner_on_ok", "a", "t", res={"changed": True, "diff": {"before": "", "after": "key s3cret\n"}}),
        ev("runner_on_failed", "b", "t", res={"msg": "bad s3cret"}),
        ev("runner_on_unreachable", "c", "t", res={"msg": "s3cret"}),
    ]
    r = collect(events, ["a", "b", "c"])
    for host in "abc":
        assert "s3cret" not in r[host].diff + r[host].message
    assert "<secret>" in r["a"].diff


def test_censored_results_stay_censored() -> None:
    censored = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
    r = collect([ev("runner_on_failed", "a", "t", res={"censored": censored})], ["a"])
    assert r["a"].message == censored


def test_a_run_that_dies_before_any_task_fails_every_host_with_the_reason() -> None:
    c = EventCollector(lambda t: t.replace("s3cret", "<secret>"))
    c({"event": "verbose", "stdout": "ERROR! Decryption failed (no vault secrets) s3cret"})
    r = c.run_result(["a", "b"], False, 1, "failed").results
    assert all(x.failed for x in r.values())
    assert "Decryption failed" in r["a"].message and "s3cret" not in r["a"].message


def test_changes_hidden_by_no_log_still_count() -> None:
    censored = {"censored": "hidden"}
    events = [
        ev("runner_on_ok", "a", "Write keys", res=censored),
        ev("playbook_on_stats", changed={"a": 1}, ok={"a": 1}),
    ]
    r = collect(events, ["a"], check=True)
    assert r["a"].changed and r["a"].message == "drift in 1 task(s) (1 with output hidden by no_log)"
