"""The options several commands take are defined once (infra/cli/common.py) and mean the same
everywhere: a command's --limit and --format override the global ones, else take them."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner, Result

from infra.cli import cli
from infra.cli.common import LIMIT_HELP, STATE_DIR_HELP
from infra.journal import Journal
from tests.conftest import INVENTORY
from tests.safety.test_commands import _commands


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["-i", str(INVENTORY), *args])


def test_a_commands_limit_overrides_the_global_one_else_takes_it() -> None:
    def hosts(*args: str) -> list[str]:
        r = invoke(*args)
        assert r.exit_code == 0, r.output
        return [h["host"] for h in json.loads(r.output)]

    assert hosts("-l", "dc-core-1", "--format", "json", "render") == ["dc-core-1"]
    assert hosts("-l", "dc-core-1", "--format", "json", "render", "-l", "dc-core-2") == ["dc-core-2"]


def test_a_commands_format_overrides_the_global_one_else_takes_it(tmp_path: Path) -> None:
    Journal(tmp_path / "journal.sqlite")  # an empty journal
    state = ["--state-dir", str(tmp_path)]
    assert invoke("--format", "json", "history", *state).output.strip() == "[]"
    assert invoke("--format", "json", "history", "--format", "table", *state).output.strip() == "(nothing)"
    assert invoke("history", "--format", "json", *state).output.strip() == "[]"


def test_every_command_takes_the_shared_options_from_common() -> None:
    """A command that spells out its own --limit, --format, --forks or --state-dir fails here:
    use common.limit_option(), format_option(), forks_option(), state_dir_option()."""
    for name, command in _commands(cli).items():
        for p in command.params:
            if not isinstance(p, click.Option):
                continue
            where = f"infra {name} {p.opts}"
            if "--limit" in p.opts:
                assert (p.help, p.callback is not None) == (LIMIT_HELP, True), where
            if "--format" in p.opts:
                assert (p.name, p.default, p.callback is not None) == ("fmt", None, True), where
            if "--forks" in p.opts:
                assert isinstance(p.type, click.IntRange), where
                assert (p.opts, p.type.min, p.type.max) == (["-f", "--forks"], 1, 500), where
            if "--state-dir" in p.opts:
                assert (p.name, p.help) == ("paths", STATE_DIR_HELP), where
