"""Server data, 3-2-1 in the lab (issue 15, point 5): restic over SFTP between real lab servers.

srv-portal-1 is reset to bare; srv-log-1 and srv-log-2 lose any earlier repository (and keep
the rest). Data written on srv-portal-1 is backed up with the inventory's own settings (`infra
backup --servers`' function): to the repository on srv-log-1 and copied to srv-log-2, each
server's key held to SFTP there, the freshness metric in node exporter's textfile directory.
The data is deleted and restored: same checksums. A wrong repository password fails naming the
repository and changes nothing (neither repository nor the data). No secret appears in the
results, the output, or any file the run left on the servers.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from infra.backup.servers import METRIC, ServerRestore, back_up_servers, restore_server
from infra.lab.bare import reset_servers
from infra.lab.exec import exec_argv
from infra.state import StatePaths
from tests.conftest import LAB_SECRETS

pytestmark = pytest.mark.lab

SERVER = "srv-portal-1"
REPOS = ("srv-log-1", "srv-log-2")
DATA = "/srv/portal"
WRONG = "Not-The-Restic-Pw-1q9z"
WRITE = f"""set -e
mkdir -p {DATA}/uploads/2026 {DATA}/site
head -c 400000 /dev/urandom > {DATA}/uploads/2026/hoso-0001.pdf
head -c 3000 /dev/urandom > {DATA}/uploads/2026/anh.jpg
printf '<h1>Cổng thông tin điện tử</h1>\\n' > {DATA}/site/index.html
ln -sf ../site/index.html {DATA}/uploads/trang-chu.html
"""
SUMS = f'cd {DATA} && find . -type f -o -type l | sort | while read f; do sha256sum "$f"; done; find . | sort'


def sh(node: str, script: str) -> str:
    p = subprocess.run(exec_argv(node, ["sh", "-c", script]), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{node}: {script}\n{p.stdout}{p.stderr}"
    return p.stdout


@pytest.fixture(scope="module")
def servers(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # The backed-up server starts bare; the log servers keep what other tests converged on them
    # (the configuration backups' off-site copy): only this test's repositories and keys go.
    reset_servers(lab.plan, [SERVER])
    for node in REPOS:
        keys = "/root/.ssh/authorized_keys"
        sh(node, f"rm -rf /srv/restic; if [ -f {keys} ]; then sed -i '/ infra-backup@/d' {keys}; fi")
    return {"inv": lab.inv, "paths": StatePaths.from_env(tmp_path_factory.mktemp("state")), "out": []}


def test_back_up_delete_restore_same_checksums(servers: dict[str, Any]) -> None:
    inv, paths, out = servers["inv"], servers["paths"], servers["out"]
    sh(SERVER, WRITE)
    before = sh(SERVER, SUMS)
    assert "hoso-0001.pdf" in before

    run = back_up_servers(inv, [inv.hosts[SERVER]], paths)
    out.append(json.dumps({h: r.as_dict() for h, r in run.results.items()}))
    r = run.results[SERVER]
    assert list(run.results) == [SERVER] and r.ok and r.changed, r.message
    assert re.match(
        r"snapshot [0-9a-f]{8}: \d+ new, 0 changed files, .* added; copied to srv-log-2", r.message
    )
    assert r.message.endswith("; not on this server: /srv/onestop")  # the web group's other site
    # Both repositories exist on their servers; the server's key there is held to SFTP.
    for node, path in ((REPOS[0], "/srv/restic/servers"), (REPOS[1], "/srv/restic/servers-copy")):
        assert sh(node, f"test -f {path}/config && ls {path}/snapshots | wc -l").strip() == "1"
        keys = sh(node, "grep infra-backup@ /root/.ssh/authorized_keys")
        assert (
            keys.startswith('restrict,command="internal-sftp" ssh-ed25519 ')
            and f"infra-backup@{SERVER}" in keys
        )
    metric = sh(SERVER, "cat /var/lib/prometheus/node-exporter/infra_server_backup.prom")
    assert len(re.findall(rf'^{METRIC}{{repository="(?:repository|copy)"}} \d+$', metric, re.M)) == 2
    assert "\ninfra_server_backup_last_run_success 1\n" in metric

    sh(SERVER, f"rm -rf {DATA}")
    restored = restore_server(inv, ServerRestore(inv.hosts[SERVER], DATA, "latest"), paths)
    out.append(json.dumps(restored.as_dict()))
    assert restored.ok and restored.changed, restored.message
    assert restored.message.startswith(f"restored {DATA} (") and " from snapshot " in restored.message
    assert sh(SERVER, SUMS) == before


def test_a_wrong_repository_password_fails_clearly_and_changes_nothing(servers: dict[str, Any]) -> None:
    inv, paths, out = servers["inv"], servers["paths"], servers["out"]
    listing = "find /srv/restic -printf '%p %s %T@\\n' | sort"
    repos_before = {node: sh(node, listing) for node in REPOS}
    sh(SERVER, f"echo new > {DATA}/site/new.html")  # something a backup would take
    data_before = sh(SERVER, SUMS)

    run = back_up_servers(inv, [inv.hosts[SERVER]], paths, extravars={"server_backup_password": WRONG})
    out.append(json.dumps({h: r.as_dict() for h, r in run.results.items()}))
    r = run.results[SERVER]
    assert r.failed
    assert r.message == (
        f"restic repository sftp:root@{inv.hosts[REPOS[0]].mgmt_address}:/srv/restic/servers: wrong password "
        "(the vault's server_backup.password), nothing changed"
    ), r.message
    assert {node: sh(node, listing) for node in REPOS} == repos_before
    assert sh(SERVER, SUMS) == data_before
    metric = sh(SERVER, "cat /var/lib/prometheus/node-exporter/infra_server_backup.prom")
    assert "\ninfra_server_backup_last_run_success 0\n" in metric
    assert len(re.findall(rf"^{METRIC}", metric, re.M)) == 2  # the last successes are kept


def test_no_secret_in_results_output_or_on_the_servers(
    servers: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    printed = capfd.readouterr()
    text = "\n".join(servers["out"]) + printed.out + printed.err
    assert len(servers["out"]) == 3
    # What the role wrote: the metric, the key and restic's ssh on the server; the repositories.
    client = [
        "/var/lib/prometheus/node-exporter",
        "/root/.ssh",
        "/etc/infra-backup",
        "/usr/local/lib/infra-backup",
    ]
    places = {
        SERVER: client,
        REPOS[0]: ["/srv/restic", "/root/.ssh"],
        REPOS[1]: ["/srv/restic", "/root/.ssh"],
    }
    for secret in LAB_SECRETS:
        assert secret not in text
    patterns = [arg for secret in LAB_SECRETS for arg in ("-e", secret)]
    for node, where in places.items():
        hit = subprocess.run(
            exec_argv(node, ["grep", "-rlF", *patterns, *where]), capture_output=True, text=True, timeout=60
        )
        assert hit.returncode == 1 and hit.stdout == "", f"{node}: a secret in {hit.stdout} {hit.stderr}"
