"""Netmiko's `cisco_tp` class (CiscoTpTcCeSSH) against the codec shell over real OpenSSH with a
pty, as the lab serves it: sshd in a scratch namespace (`scratch-codec-<pid>-ssh`, private
/run via a mount namespace) whose ForceCommand is the shell; the Netmiko client runs in the same
namespace and connects to its 127.0.0.1. No user agent is needed for what is asked here.

Proves the session start (banner up to `OK`) satisfies the class, that each command's echo
and answer come back once (Netmiko's `\\r\\n` Enter reads as two line ends), and that a value set
in one SSH session is read back in the next.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from signal import SIGKILL

import pytest

from tests.lab_codec.scratch import PREFIX, poll, run

pytestmark = pytest.mark.lab

CLIENT = r"""
import json, sys, time
from netmiko import ConnectHandler
END = r"\n(OK|ERROR|Command not recognized\.)\n"
t0 = time.monotonic()
conn = ConnectHandler(device_type="cisco_tp", host="127.0.0.1", username="root", use_keys=True,
                      key_file=sys.argv[1], allow_agent=False, ssh_config_file=None, fast_cli=True)
t1 = time.monotonic()
out = {"login_s": t1 - t0, "answers": []}
for command in sys.argv[2:]:
    out["answers"].append(conn.send_command(command, expect_string=END, strip_prompt=False,
                                            strip_command=False, read_timeout=20))
out["commands_s"] = time.monotonic() - t1
conn.disconnect()
print(json.dumps(out))
"""


class Ssh:
    def __init__(self, netns: str, root: Path) -> None:
        self.netns, self.root = netns, root

    def session(self, *commands: str) -> dict[str, object]:
        argv = ["ip", "netns", "exec", self.netns, sys.executable, "-c", CLIENT, str(self.root / "id")]
        done = run(*argv, *commands, check=False)
        log = (self.root / "sshd.log").read_text(errors="replace")
        assert done.returncode == 0, f"{done.stderr[-3000:]}\nsshd: {log[-2000:]}"
        result: dict[str, object] = json.loads(done.stdout)
        return result


@pytest.fixture(scope="module")
def ssh() -> Iterator[Ssh]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    if not Path("/usr/sbin/sshd").exists():
        pytest.skip("OpenSSH server is not installed")
    netns = f"{PREFIX}{os.getpid() % 100000}-ssh"
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    root.chmod(0o700)
    proc: subprocess.Popen[bytes] | None = None
    try:
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host_key"))
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "id"))
        shutil.copy(root / "id.pub", root / "authorized_keys")
        shell = root / "codec-shell"
        shell.write_text(
            f"#!/bin/sh\nexec {sys.executable} -m infra.lab.codec.shell --state {root / 'state'}\n"
        )
        shell.chmod(0o755)
        (root / "sshd_config").write_text(
            "ListenAddress 127.0.0.1\n"
            f"HostKey {root / 'host_key'}\nPidFile {root / 'sshd.pid'}\nUsePAM no\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"AuthorizedKeysFile {root / 'authorized_keys'}\nForceCommand {shell}\n"
            "PrintMotd no\nPrintLastLog no\nUseDNS no\nStrictModes no\n"
        )
        run("ip", "netns", "add", netns)
        run("ip", "-n", netns, "link", "set", "lo", "up")
        sshd = f"exec /usr/sbin/sshd -D -e -f {root}/sshd_config"
        script = f"mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && {sshd}"
        with open(root / "sshd.log", "wb") as log:
            proc = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    netns,
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "sh",
                    "-c",
                    script,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        poll("sshd listens", lambda: ":22 " in run("ip", "netns", "exec", netns, "ss", "-Htln").stdout, 15)
        yield Ssh(netns, root)
    finally:
        if proc is not None:
            proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for pid in run("ip", "netns", "pids", netns, check=False).stdout.split():
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), SIGKILL)
        run("ip", "netns", "del", netns, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_netmiko_cisco_tp_drives_the_shell_over_ssh(ssh: Ssh) -> None:
    first = ssh.session(
        "xConfiguration Conference AutoAnswer Mode",
        "xConfiguration Conference AutoAnswer Mode: Off",
        "xStatus SIP Registration 1 Status",
        "xConfiguration Foo: 1",
        "nonsense",
    )
    print("netmiko login", first["login_s"], "s; 5 commands", first["commands_s"], "s")
    answers = [str(a) for a in first["answers"]]  # type: ignore[attr-defined]
    assert "*c xConfiguration Conference AutoAnswer Mode: On\n** end\n\nOK" in answers[0]
    assert answers[0].count("OK") == 1  # one answer per command: the empty line got none
    assert answers[1].rstrip().endswith("** end\n\nOK")
    assert "*s SIP Registration 1 Status: Inactive" in answers[2]
    assert answers[3].rstrip().endswith("ERROR") and "No match on address expression." in answers[3]
    assert answers[4].rstrip().endswith("Command not recognized.")

    second = ssh.session("xConfiguration Conference AutoAnswer Mode")
    assert "*c xConfiguration Conference AutoAnswer Mode: Off" in str(second["answers"])
