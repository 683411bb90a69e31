"""The monitoring_server role's service for the on-call board, rendered by a real ansible-playbook
from the role's own defaults: a non-root user, hardening, the management address, and an
ExecStart that `infra` itself accepts (every option exists), with the vault password file its
environment names."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks" / "roles" / "monitoring_server"
BIN = Path(sys.executable).parent
MGMT = "10.127.0.38"


def render(tmp: Path) -> tuple[str, dict[str, str]]:
    playbook = tmp / "render.yml"
    playbook.write_text(
        f"""
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: ["{ROLE}/defaults/main.yml"]
  tasks:
    - ansible.builtin.template:
        src: "{ROLE}/templates/{{{{ item.src }}}}"
        dest: "{tmp}/{{{{ item.dest }}}}"
        mode: "0644"
      loop:
        - {{src: infra-oncall.service.j2, dest: infra-oncall.service}}
        - {{src: infra-oncall.env.j2, dest: environment}}
"""
    )
    extra = {"ansible_host": MGMT, "inventory_dir": str(ROOT / "inventory")}
    p = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-e", json.dumps(extra), str(playbook)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp)},
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    unit = (tmp / "infra-oncall.service").read_text()
    env = dict(line.split("=", 1) for line in (tmp / "environment").read_text().splitlines() if "=" in line)
    return unit, env


def directives(unit: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))


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
