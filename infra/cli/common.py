"""What every command shares: the shared options, output formats, and errors mapped to exit codes.

The options more than one command takes are defined here once, as decorators (as aws-sam-cli's
`commands/_utils/options.py`): `global_options` on the `infra` group, and on a command
`limit_option`, `format_option`, `forks_option` and `state_dir_option`. A command's `--limit` and
`--format` override the global ones: the command receives the value that applies.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from infra.inventory import Inventory, InventoryError, PatternError, load_inventory
from infra.safety import LabNotUp, ready_to_contact
from infra.state import StatePaths

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class UsageFailure(click.ClickException):
    """Expected, explained failure: bad input or configuration (exit 2). The one exit-2 error of
    every command (the lab's included): a message, no traceback."""

    exit_code = EXIT_BAD_INPUT


@dataclass
class Context:
    inventory_path: Path
    limit: str | None
    fmt: str
    own_process: bool = False  # run as the `infra` command, not inside another program (tests)
    contacts_devices: bool = False  # set by @contacts_devices: inventory() checks before use
    _inventory: Inventory | None = None

    def inventory(self) -> Inventory:
        if self._inventory is None:
            try:
                inv = load_inventory(self.inventory_path)
            except InventoryError as exc:
                raise UsageFailure(str(exc)) from None
            if self.contacts_devices:
                self.ready_to_contact(inv)
            if self.own_process:
                # The inventory lives as long as the command; keep the garbage collector from
                # walking its million objects again on every later collection (gc.freeze).
                gc.freeze()
            self._inventory = inv
        return self._inventory

    @staticmethod
    def ready_to_contact(inv: Inventory) -> tuple[str, ...]:
        """The inventory is safe to contact (a lab province only while its lab is up) and every
        secret resolves; otherwise exit 2 before any device is touched (infra.safety)."""
        try:
            return ready_to_contact(inv)
        except (InventoryError, LabNotUp) as exc:
            raise UsageFailure(str(exc)) from None

    def selected(self, limit: str | None = None) -> list[Any]:
        try:
            return self.inventory().select(limit or self.limit)
        except PatternError as exc:
            raise UsageFailure(str(exc)) from None


pass_ctx = click.make_pass_decorator(Context)

GLOBAL_LIMIT_HELP = "Ansible host pattern: groups, hosts, globs, a:b, a:&b, a:!b"
LIMIT_HELP = "Ansible host pattern (overrides the global --limit)"
STATE_DIR_HELP = "journal, backups and locks (default $INFRA_STATE_DIR or ./state)"


def global_options(fn: F) -> F:
    """`-i/--inventory`, `-l/--limit` and `--format` of the `infra` group (every command's defaults)."""
    fn = click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )(fn)
    fn = click.option("-l", "--limit", default=None, help=GLOBAL_LIMIT_HELP)(fn)
    return click.option(
        "-i",
        "--inventory",
        "inventory_path",
        type=click.Path(path_type=Path),
        default=lambda: os.environ.get("INFRA_INVENTORY", "inventory"),
        show_default="./inventory or $INFRA_INVENTORY",
        help="the province inventory (an Ansible YAML inventory directory)",
    )(fn)


def _or_global(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A command's option left out (or empty) takes the global option's value (`Context.<name>`)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        del param
        return value or getattr(ctx.find_object(Context), name)

    return callback


def limit_option(help: str = LIMIT_HELP) -> Callable[[F], F]:
    """`-l/--limit PATTERN`: the command gets this pattern, else the global --limit (maybe None)."""
    return click.option("-l", "--limit", default=None, help=help, callback=_or_global("limit"))


def format_option(*choices: str) -> Callable[[F], F]:
    """`--format`: one of `choices` (default table, json), else the global --format."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices or ("table", "json"))),
        default=None,
        callback=_or_global("fmt"),
    )


def forks_option(default: int = 25) -> Callable[[F], F]:
    """`-f/--forks N`: how many hosts at once."""
    return click.option("-f", "--forks", type=click.IntRange(1, 500), default=default, show_default=True)


def state_dir_option() -> Callable[[F], F]:
    """`--state-dir DIR`: the command gets its `paths: StatePaths` (journal, backups, locks)."""
    return click.option(
        "--state-dir",
        "paths",
        type=click.Path(path_type=Path),
        default=None,
        help=STATE_DIR_HELP,
        callback=lambda ctx, param, value: StatePaths.from_env(value),
    )


def handle_errors(fn: F) -> F:
    """Expected errors become a one-line message and exit code 2; bugs still show a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InventoryError, PatternError, LabNotUp) as exc:
            raise UsageFailure(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def contacts_devices(when: Callable[[dict[str, Any]], bool] | None = None) -> Callable[[F], F]:
    """Mark a command that contacts devices: the first `ctx.inventory()` of its body (after
    the command checked its own options, before anything is contacted) runs
    `Context.ready_to_contact`, which refuses a lab province whose lab is down and resolves
    every secret (exit 2 otherwise). `when(params)` narrows it to the invocations that do
    contact devices (not `--offline`). Put it below `@pass_ctx`;
    tests/safety/test_commands.py lists every command and checks each one that contacts devices.
    """

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
            ctx.contacts_devices = when is None or when(kwargs)
            return fn(ctx, *args, **kwargs)

        wrapper.contacts_devices = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def table(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> str:
    rows = list(rows)
    if not rows:
        return "(nothing)"
    cols = columns or list(rows[0])
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True))
    out = [line.rstrip()]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(out)
