"""The cisco_tp driver contract over real OpenSSH (with a pty) against the lab's codec shell.

The scratch sshd of tests/lab_codec/test_codec_ssh.py (a namespace of its own whose
ForceCommand is `python -m infra.lab.codec.shell`; root login by key only) serves the shell; the
driver runs in that namespace and connects to its 127.0.0.1. The only change to the driver is
the login: a key instead of the codec password (the scratch sshd takes no passwords). The full
lab runs the same suite with the codec password: test_cisco_tp_lab.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab_codec.test_codec_ssh import Ssh, ssh  # noqa: F401  (the scratch sshd fixture)

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import sys, time
import infra.drivers.base as base
import infra.drivers.netmiko_session as session
from infra.drivers import DeviceTarget, driver_for
from infra.inventory.secrets import Secret
from tests.deploy.contract import run_codec_contract

def by_key(target):
    kwargs = base.kwargs_of(target)
    kwargs.update(use_keys=True, key_file=sys.argv[1])
    return kwargs

session.kwargs_of = by_key
t = DeviceTarget(host="vc-scratch", address="127.0.0.1", username="root", password=Secret("-"),
                 platform="cisco_tp", timeout=20)
start = time.monotonic()
run_codec_contract(lambda: driver_for("cisco_tp")(t))
print(f"codec contract over sshd: {time.monotonic() - start:.1f}s")
"""


def test_driver_contract_against_the_codec_shell_over_sshd(ssh: Ssh) -> None:  # noqa: F811
    argv = ["ip", "netns", "exec", ssh.netns, sys.executable, "-c", SCRIPT, str(ssh.root / "id")]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "codec contract over sshd" in done.stdout
