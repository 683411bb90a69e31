"""Where the lab keeps its state, and how its namespaces and links are named.

Everything the lab creates at run time lives under `/run/infra-lab/` (removed by `down`);
the lab's SSH keys live under `/var/lib/infra-lab/ssh/` so they survive `down`/`up` and
known-hosts entries and Ansible settings stay valid. Names carry fixed prefixes so `down`
finds everything even when the inventory changed since `up`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

RUN_DIR = Path(os.environ.get("INFRA_LAB_RUN_DIR", "/run/infra-lab"))
LOCK_FILE = Path("/run/infra-lab.lock")
TEST_LOCK_FILE = Path("/run/infra-lab.tests.lock")
NS_FILES = RUN_DIR / "ns"  # persistent UTS and mount namespaces, bind-mounted files
NODES = RUN_DIR / "nodes"
OVS_DIR = RUN_DIR / "ovs"
WG_DIR = RUN_DIR / "wireguard"
REGISTRY = RUN_DIR / "registry.json"
SNMP_CLIENT_DIR = RUN_DIR / "snmp-client"

KEY_DIR = Path(os.environ.get("INFRA_LAB_KEY_DIR", "/var/lib/infra-lab/ssh"))
SSH_KEY = KEY_DIR / "id_ed25519"  # the lab's own login key (admin on routers, root on servers)
HOST_KEY = KEY_DIR / "ssh_host_ed25519_key"  # every lab node's sshd host key
AUTHORIZED_KEYS = KEY_DIR / "authorized_keys"

NS_PREFIX = "lv-"  # network namespace of a node: lv-<host name>
UNIT_NS_PREFIX = "lv-unit-"  # campus unit hosts (user PCs of one VLAN)
ROOT_LINK_PREFIX = "lv"  # root-side veths and OVS bridges: lv<kind><hash>
MGMT_BRIDGE = "infra-mgmt"

REPO = Path(__file__).resolve().parents[2]
SNMPREC_AGENT = Path(os.environ.get("INFRA_SNMPREC_AGENT", REPO / "build" / "snmprec_agent.so"))


def shared_dir() -> Path:
    return Path(os.environ.get("INFRA_SHARED", REPO.parent / "shared"))


def netns_name(node: str) -> str:
    return f"{NS_PREFIX}{node}"


def root_ifname(kind: str, *parts: str) -> str:
    """A short, stable root-side interface name (Linux allows 15 characters)."""
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()[:10]
    return f"{ROOT_LINK_PREFIX}{kind}{digest}"


def node_dir(node: str) -> Path:
    return NODES / node
