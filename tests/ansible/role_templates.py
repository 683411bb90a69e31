"""Render templates of the monitoring_server role with a real ansible-playbook, as the role
would on the monitoring server (its defaults, plus the variables a test gives), to read the
systemd units and environment files it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

ROLE = ROOT / "playbooks" / "roles" / "monitoring_server"
BIN = Path(sys.executable).parent
MGMT = "10.127.0.38"  # the monitoring server's management address in the example province


def render_templates(tmp: Path, templates: dict[str, str], variables: dict[str, object], mode: str) -> Path:
    """Template name -> file name under tmp/out; the role's defaults, `ansible_host` and
    `inventory_dir` of the example province, then `variables`."""
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    loop = "\n".join(f"        - {{src: {s}, dest: {d}}}" for s, d in templates.items())
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
        dest: "{out}/{{{{ item.dest }}}}"
        mode: "{mode}"
      loop:
{loop}
"""
    )
    extra = {"ansible_host": MGMT, "inventory_dir": str(ROOT / "inventory"), **variables}
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
    return out


def directives(unit: str) -> dict[str, str]:
    """KEY=VALUE lines of a unit or environment file (comments left out)."""
    return dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
