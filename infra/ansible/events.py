"""ansible-runner events -> per-host `Result`s. Only structured event data is read, never the
playbook's stdout.

Events used: `runner_on_ok` / `runner_on_failed` / `runner_on_unreachable` /
`runner_on_skipped` (per host and task; `res` carries `changed`, `msg` and the `diff`),
`playbook_on_stats` (the final counts), `error` and `verbose` events only to explain a run
that died before any task.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.results import Result, RunResult

Mask = Callable[[str], str]

HOST_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_unreachable", "runner_on_skipped")


@dataclass
class HostRecord:
    ok: int = 0
    changed_tasks: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    failed_task: str | None = None
    message: str = ""
    unreachable: bool = False
    stats: dict[str, int] = field(default_factory=dict)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def render_diff(diff: Any) -> str:
    """One Ansible diff (a dict with before/after, or `prepared` text, or a list of them)."""
    if isinstance(diff, list):
        return "".join(render_diff(d) for d in diff)
    if not isinstance(diff, dict):
        return ""
    if diff.get("prepared"):
        return _text(diff["prepared"]).rstrip("\n") + "\n"
    if "before" not in diff and "after" not in diff:
        return ""
    before, after = _text(diff.get("before")), _text(diff.get("after"))
    if before == after:
        return ""
    # Ansible names the intended side after its temporary template file: name both after the
    # file on the server instead.
    path = str(diff.get("before_header") or diff.get("after_header") or "")
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{path} (on the server)".strip(),
        tofile=f"{path} (intended)".strip(),
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _result_diffs(res: dict[str, Any]) -> str:
    out = render_diff(res.get("diff"))
    for item in res.get("results") or []:
        if isinstance(item, dict) and item.get("changed"):
            out += render_diff(item.get("diff"))
    return out


def _failure_message(res: dict[str, Any]) -> str:
    if res.get("censored"):
        return str(res["censored"])
    parts = [_text(res.get("msg"))]
    for key in ("stderr", "module_stderr"):
        if res.get(key):
            parts.append(_text(res[key]).strip())
    for item in res.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            parts.append(_failure_message(item))
    return "; ".join(p for p in parts if p) or "failed"


class EventCollector:
    """An ansible-runner `event_handler`: folds events into per-host records.

    It returns False so ansible-runner writes no event to disk (the events hold task results).
    """

    def __init__(self, mask: Mask) -> None:
        self.mask = mask
        self.hosts: dict[str, HostRecord] = {}
        self.errors: list[str] = []
        self.saw_stats = False

    def record(self, host: str) -> HostRecord:
        return self.hosts.setdefault(host, HostRecord())

    def __call__(self, event: dict[str, Any]) -> bool:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind in HOST_EVENTS and data.get("host"):
            self._host_event(kind, data)
        elif kind == "playbook_on_stats":
            self.saw_stats = True
            for key in ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored"):
                for host, count in (data.get(key) or {}).items():
                    self.record(host).stats[key] = int(count)
        elif kind in ("error", "verbose") and event.get("stdout"):
            self.errors.append(self.mask(str(event["stdout"]).strip()))
        return False

    def _host_event(self, kind: str, data: dict[str, Any]) -> None:
        rec = self.record(str(data["host"]))
        task = str(data.get("task") or "")
        role = data.get("role")
        label = f"{role} : {task}" if role and task and not task.startswith(f"{role} :") else task
        res = data.get("res") or {}
        if kind == "runner_on_unreachable":
            rec.unreachable = True
            rec.failed_task = rec.failed_task or label
            rec.message = rec.message or self.mask(_text(res.get("msg")).strip() or "unreachable")
            return
        if kind == "runner_on_failed":
            if data.get("ignore_errors"):
                return
            rec.failed_task = rec.failed_task or label
            rec.message = rec.message or self.mask(_failure_message(res))
            return
        if kind == "runner_on_ok":
            rec.ok += 1
            if res.get("changed"):
                rec.changed_tasks.append(label)
                diff = _result_diffs(res)
                if diff:
                    rec.diffs.append(f"# {label}\n" + self.mask(diff))

    def run_result(self, hosts: list[str], check: bool, rc: int, status: str) -> RunResult:
        """One Result per requested host; a host Ansible never reported on has failed."""
        out = RunResult()
        for host in hosts:
            rec = self.hosts.get(host)
            if rec is None:
                why = (
                    "; ".join(e for e in self.errors[-5:] if e) or f"ansible-playbook ended: {status} rc={rc}"
                )
                out.add(Result(host, failed=True, message=f"no result from Ansible: {why}"))
                continue
            failed = rec.failed_task is not None and not rec.unreachable
            # A no_log task's result is censored, `changed` included: the final stats still
            # count it, so they decide; the named tasks are those whose result was visible.
            n_changed = max(len(rec.changed_tasks), rec.stats.get("changed", 0))
            hidden = n_changed - len(rec.changed_tasks)
            changed = n_changed > 0
            if check:
                message = f"drift in {n_changed} task(s)" if changed else "in sync"
            else:
                message = f"{n_changed} task(s) changed" if changed else "no change"
            if hidden:
                message += f" ({hidden} with output hidden by no_log)"
            if failed or rec.unreachable:
                message = rec.message
            out.add(
                Result(
                    host,
                    changed=changed,
                    failed=failed,
                    unreachable=rec.unreachable,
                    diff="\n".join(rec.diffs),
                    message=message,
                    task=rec.failed_task,
                    details={
                        "changed_tasks": list(rec.changed_tasks),
                        "stats": dict(rec.stats),
                        "check_mode": check,
                    },
                )
            )
        return out
