"""ansible-runner's private_data_dir, built from the province inventory.

The directory is a temporary one and holds no secret: the inventory is a symlink to the real
one (vaulted values stay encrypted in it), the vault password is passed as a path to the same
file `ANSIBLE_VAULT_PASSWORD_FILE` names (never copied), the SSH key as a path. The directory
is deleted when the run ends, artifacts included.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.inventory import Inventory
from infra.safety import LabNotUp, require_lab_route


class BridgeError(Exception):
    """The Ansible run cannot start: missing vault password file, SSH key or playbook."""


@dataclass(frozen=True)
class RunSettings:
    playbook: Path
    limit: list[str]
    check: bool = False
    diff: bool = False
    tags: tuple[str, ...] = ()
    forks: int = 5
    extravars: dict[str, object] = field(default_factory=dict)
    ssh_key: Path | None = None
    # Sees every ansible-runner event before the bridge does (benchmarks time tasks with it).
    on_event: Callable[[dict[str, Any]], None] | None = None


def require_lab_up(inv: Inventory) -> None:
    """A lab province's addresses are only safe while `infra lab up` blackholes them on this
    machine: without that route, SSH to a server would leave the machine (infra.safety)."""
    try:
        require_lab_route(inv)
    except LabNotUp as exc:
        raise BridgeError(str(exc)) from None


def lab_extravars(inv: Inventory) -> dict[str, object]:
    """A lab province's servers share this machine's `/`: the monitoring server runs the
    infra-snmp-exporter and the on-call board (`infra oncall serve`) of this very environment (as
    root: the environment may live under a directory their own users cannot read), instead of a
    venv built from a wheelhouse."""
    exporter = Path(sys.executable).parent / "infra-snmp-exporter"
    board = Path(sys.executable).parent / "infra"
    if not inv.province.lab or not exporter.is_file():
        return {}
    return {
        "monitoring_server_snmp_exporter_command": str(exporter),
        "monitoring_server_snmp_exporter_user": "root",
        "monitoring_server_oncall_command": str(board),
        "monitoring_server_oncall_user": "root",
    }


def vault_password_file() -> Path | None:
    value = os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise BridgeError(f"ANSIBLE_VAULT_PASSWORD_FILE points at {path}, which is not a file")
    return path


def ssh_key_file(explicit: Path | None) -> Path | None:
    value = explicit or (Path(os.environ["INFRA_SSH_KEY"]) if os.environ.get("INFRA_SSH_KEY") else None)
    if value is not None and not value.is_file():
        raise BridgeError(f"SSH key {value} (INFRA_SSH_KEY) is not a file")
    return value


STRATEGY_ENV = "INFRA_ANSIBLE_STRATEGY"
STRATEGIES = ("mitogen_linear", "mitogen_free", "linear", "free")


def strategy_env() -> dict[str, str]:
    """Ansible's strategy for the run: Mitogen's when it is installed (a dependency of infra).

    Stock Ansible starts Python on the server for every task and host (module shipped, unpacked,
    imported each time); Mitogen keeps one interpreter per server for the whole run and caches
    the modules. Measured on the lab (docs/servers.md): a first converge of 9 servers 5.6x
    faster in wall time, 4.9x less client CPU. `INFRA_ANSIBLE_STRATEGY=linear` runs stock Ansible.
    """
    wanted = os.environ.get(STRATEGY_ENV, "").strip() or "mitogen_linear"
    if wanted not in STRATEGIES:
        raise BridgeError(f"{STRATEGY_ENV}={wanted}: not one of {', '.join(STRATEGIES)}")
    if not wanted.startswith("mitogen_"):
        return {"ANSIBLE_STRATEGY": wanted}
    spec = importlib.util.find_spec("ansible_mitogen")
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get(STRATEGY_ENV):
            raise BridgeError(f"{STRATEGY_ENV}={wanted}, but Mitogen is not installed (pip install mitogen)")
        return {"ANSIBLE_STRATEGY": "linear"}
    plugins = Path(next(iter(spec.submodule_search_locations))) / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": wanted}


def envvars(inv: Inventory, key: Path | None) -> dict[str, str]:
    """Environment of ansible-playbook: paths only, never a secret value.

    No SSH master outlives a run (ControlPersist off): a lab namespace with an open SSH
    session would outlive `infra lab down`. Measured here, multiplexing saved nothing
    (6 tasks: 9.5 s either way on a loaded machine): the cost is Python on the target.
    """
    ssh_args = "-o ControlMaster=no -o ControlPersist=no -o ServerAliveInterval=5 -o ConnectTimeout=5"
    env = {
        "ANSIBLE_FORCE_COLOR": "false",
        "ANSIBLE_NOCOLOR": "true",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_TIMEOUT": "10",
        "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false",
        "ANSIBLE_ROLES_PATH": str(Path(__file__).resolve().parents[2] / "playbooks" / "roles"),
        "ANSIBLE_SSH_ARGS": ssh_args,
        "ANSIBLE_COLLECTIONS_ON_ANSIBLE_VERSION_MISMATCH": "ignore",
        **strategy_env(),
    }
    if inv.province.lab:
        # The lab's nodes are rebuilt often; their host key is the lab's own (infra lab up).
        env["ANSIBLE_HOST_KEY_CHECKING"] = "false"
        env["ANSIBLE_SSH_ARGS"] = ssh_args + " -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
    if key is not None:
        env["ANSIBLE_PRIVATE_KEY_FILE"] = str(key)
    return env


def cmdline(settings: RunSettings, vault_file: Path | None) -> str:
    parts: list[str] = []
    if settings.check:
        parts.append("--check")
    if settings.diff:
        parts.append("--diff")
    if vault_file is not None:
        parts.append(f"--vault-password-file={vault_file}")
    return " ".join(parts)


@contextmanager
def private_data_dir(inv: Inventory) -> Iterator[Path]:
    """A fresh private_data_dir whose `inventory` is the province inventory itself; removed after."""
    base = Path(tempfile.mkdtemp(prefix="infra-ansible-"))
    try:
        os.chmod(base, 0o700)
        (base / "inventory").symlink_to(inv.path.resolve(), target_is_directory=True)
        (base / "env").mkdir()
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
