"""What every command shares: the global options, output formats, and errors mapped to exit codes."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from infra.inventory import Inventory, InventoryError, PatternError, load_inventory
from infra.safety import LabNotUp, ready_to_contact

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class UsageFailure(click.ClickException):
    """Expected, explained failure: bad input or configuration (exit 2)."""

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


def is_tty() -> bool:
    return sys.stdout.isatty()
