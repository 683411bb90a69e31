"""The inventory's YAML loader builds plain maps, lists and scalars itself (for speed); it must
give exactly what PyYAML's SafeConstructor (the base of Ansible's loader) gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infra.inventory import InventoryError
from infra.inventory.source import VaultText, _construct_vault, load_yaml

ROOT = Path(__file__).resolve().parents[2]

EVERY_KIND = """
base: &base {x: 1, y: [a, b]}
merged:
  <<: *base
  z: 2
timestamp: 2001-12-14t21:59:43.10-05:00
date: 2002-12-14
octal_11: 017
octal_12: 0o17
hex: 0x1F
sexagesimal: 190:20:30
underscored: 1_000
yes: yes
No: off
float: 1.5e3
float_11: 1.0e+3
infinity: .inf
tilde: ~
empty:
aliases: [*base, *base]
vaulted: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  6162
binary: !!binary aGVsbG8=
set: !!set {a, b}
quoted: "10"
block: |
  line one
  line two
folded: >-
  one
  two
int_key:
  10: ten
  true: bool key
"""


class _Reference(yaml.SafeLoader):
    """PyYAML's own pure-Python safe loader, with the inventory's !vault tag."""


_Reference.add_constructor("!vault", _construct_vault)


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "vars.yml"
    path.write_text(text)
    return load_yaml(path, "vars.yml")


def test_every_kind_of_value_matches_pyyaml(tmp_path: Path) -> None:
    ours = _load(tmp_path, EVERY_KIND)
    assert ours == yaml.load(EVERY_KIND, Loader=_Reference)
    assert isinstance(ours, dict)
    assert ours["octal_11"] == 15 and ours["octal_12"] == "0o17"  # YAML 1.1, as Ansible reads it
    assert ours[True] is True and ours[False] is False
    assert isinstance(ours["vaulted"], VaultText)
    assert ours["merged"] == {"x": 1, "y": ["a", "b"], "z": 2}


def test_the_example_province_matches_pyyaml() -> None:
    files = sorted((ROOT / "inventory").rglob("*.yml"))
    assert len(files) > 10
    for path in files:
        text = path.read_text()
        assert load_yaml(path, path.name) == yaml.load(text, Loader=_Reference), path


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "key 'c' is written twice", 4),
        ("x: &loop [*loop]\n", "has an alias that contains itself", 1),
        ("a: [1\n", "is not valid YAML", 2),
        ("{[1]: 2}\n", "is not valid YAML", 1),
        ("---\na: 1\n---\nb: 2\n", "is not valid YAML", 3),
    ],
)
def test_broken_yaml_names_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    with pytest.raises(InventoryError) as err:
        _load(tmp_path, text)
    problem = err.value.problems[0]
    assert message in problem.message
    assert (problem.file, problem.line) == ("vars.yml", line)


def test_an_empty_file_is_no_variables(tmp_path: Path) -> None:
    assert _load(tmp_path, "# nothing yet\n") is None


def test_validate_does_not_import_the_other_commands() -> None:
    """`infra inventory validate` stays quick: audit, lab and monitoring load only when run."""
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from infra.cli import cli\n"
        "r = CliRunner().invoke(cli, ['inventory', 'validate'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = ('infra.audit', 'infra.lab', 'infra.monitoring')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
