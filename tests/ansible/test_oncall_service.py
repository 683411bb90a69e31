"""The monitoring_server role's service for the on-call board, rendered by a real ansible-playbook
from the role's own defaults: a non-root user, hardening, the management address, and an
ExecStart that `infra` itself accepts (every option exists), with the vault password file its
environment names."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from tests.ansible.role_templates import BIN, MGMT, directives, render_templates
from tests.conftest import ROOT


def render(tmp: Path) -> tuple[str, dict[str, str]]:
    templates = {"infra-oncall.service.j2": "infra-oncall.service", "infra-oncall.env.j2": "environment"}
    out = render_templates(tmp, templates, {}, mode="0644")
    unit = (out / "infra-oncall.service").read_text()
    env = dict(line.split("=", 1) for line in (out / "environment").read_text().splitlines() if "=" in line)
    return unit, env


def test_the_board_runs_hardened_as_its_own_user_on_the_management_address(tmp_path: Path) -> None:
    unit, env = render(tmp_path)
    d = directives(unit)
    assert d["User"] == "infra-oncall" and d["Group"] == "infra-oncall"
    for hardening in ("NoNewPrivileges=true", "ProtectSystem=strict", "PrivateTmp=true", "ProtectHome=true"):
        assert hardening in unit.splitlines()
    assert d["ReadWritePaths"] == "/var/lib/infra-oncall" == env["INFRA_STATE_DIR"]
    assert d["EnvironmentFile"] == "/etc/infra-oncall/environment"
    assert env["ANSIBLE_VAULT_PASSWORD_FILE"] == "/etc/infra-oncall/vault-password"
    argv = shlex.split(d["ExecStart"])
    assert argv[0] == "/opt/infra-snmp-exporter/bin/infra"
    assert argv[argv.index("--listen") + 1] == f"{MGMT}:9180"
    assert argv[argv.index("--prometheus") + 1] == f"http://{MGMT}:9090"
    assert argv[argv.index("--alertmanager") + 1] == f"http://{MGMT}:9093"
    assert argv[argv.index("--inventory") + 1] == "/etc/infra-oncall/inventory"

    # `infra` accepts that command line: every option is one of its own (--help after them all
    # exits 0 only when click parsed each).
    args = [a if a != "/etc/infra-oncall/inventory" else str(ROOT / "inventory") for a in argv[1:]]
    p = subprocess.run(
        [str(BIN / "infra"), *args, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert p.returncode == 0 and "Serve the board" in p.stdout, p.stdout + p.stderr
