"""`infra deploy` against the example (lab) province, from a machine whose lab is down, sends
nothing: proven with a packet counter.

Taking the shared lab down would disturb every other user of this machine, so the test runs
the real `infra` command in a private network namespace of its own (`unshare --net`) that looks
like a host after `infra lab down`: a default route out of an interface (a veth whose far end
counts every packet), and no unreachable route for the lab's space. Then it installs the
route `infra lab up` installs and runs the command again: the guard lets it through, and the
devices are reported as "no route to host" (the kernel refuses to send, so still nothing
leaves). The shared lab, its lock and the root namespace are not touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.inventory import load_inventory
from tests.conftest import INVENTORY

pytestmark = pytest.mark.lab

SCRIPT = r"""
set -eu
ip link set lo up
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add uplink type veth peer name wire
ip link set wire up
ip link set uplink up
ip addr add 192.0.2.2/24 dev uplink
ip route add default via 192.0.2.1 dev uplink
count() { echo "$1 $(sed -n 's/^ *wire: *//p' /proc/net/dev | awk '{print $2}')"; }  # rx packets
count before
"$INFRA" deploy -l dc-core-1,dc-core-2 > "$OUT/down.out" 2>&1 && echo "down-rc 0" || echo "down-rc $?"
count after-down
ip route add unreachable 10.64.0.0/10
"$INFRA" deploy -l dc-core-1,dc-core-2 > "$OUT/up.out" 2>&1 && echo "up-rc 0" || echo "up-rc $?"
count after-up
ip route del unreachable 10.64.0.0/10
python3 -c 'import socket; s = socket.socket(); s.settimeout(0.5)
try: s.connect(("10.127.0.2", 22))
except OSError: pass' || true
count after-probe
"""


def test_deploy_with_the_lab_down_exits_2_and_sends_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (a private network namespace)")
    env = {
        **os.environ,
        "INFRA": str(Path(sys.executable).parent / "infra"),
        "OUT": str(tmp_path),
        "INFRA_INVENTORY": str(INVENTORY),
        "INFRA_STATE_DIR": str(tmp_path / "state"),
    }
    p = subprocess.run(
        ["unshare", "--net", "bash", "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr
    seen = dict(line.split() for line in p.stdout.splitlines())
    down = (tmp_path / "down.out").read_text()
    up = (tmp_path / "up.out").read_text()

    # lab down: exit 2, one line saying why and what to do, nothing sent, nothing begun
    assert seen["down-rc"] == "2", down
    assert "the lab is not up: 10.64.0.0/10 has no unreachable route" in down
    assert "it would follow the default route through uplink via 192.0.2.1" in down
    assert "run `sudo infra lab up` first" in down
    assert "Traceback" not in down
    assert seen["after-down"] == seen["before"]

    # the lab's unreachable route in place: the guard lets deploy through; the kernel refuses
    assert seen["up-rc"] == "1", up
    inv = load_inventory(INVENTORY)
    for host in ("dc-core-1", "dc-core-2"):
        assert f"{host} ({inv.hosts[host].mgmt_address}): no route to host" in up, up
    assert "Traceback" not in up and "timeout" not in up
    assert seen["after-up"] == seen["before"]
    # and the counter does count: one connection attempt without the route reaches the wire
    assert int(seen["after-probe"]) > int(seen["after-up"])
