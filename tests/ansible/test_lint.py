"""The playbooks, roles and inventory pass yamllint and ansible-lint (production profile)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_yamllint_is_clean() -> None:
    p = run(
        str(BIN / "yamllint"), "-s", "-f", "parsable", "playbooks", "inventory", ".yamllint", ".ansible-lint"
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_ansible_lint_is_clean() -> None:
    p = run(str(BIN / "ansible-lint"), "--nocolor", "-q", "playbooks")
    assert p.returncode == 0, p.stdout + p.stderr
