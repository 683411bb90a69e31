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
    _inventory: Inventory | None = None

    def inventory(self) -> Inventory:
        if self._inventory is None:
            try:
                self._inventory = load_inventory(self.inventory_path)
            except InventoryError as exc:
                raise UsageFailure(str(exc)) from None
            if self.own_process:
                # The inventory lives as long as the command; keep the garbage collector from
                # walking its million objects again on every later collection (gc.freeze).
                gc.freeze()
        return self._inventory

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
        except (InventoryError, PatternError) as exc:
            raise UsageFailure(str(exc)) from None

    return wrapper  # type: ignore[return-value]


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
