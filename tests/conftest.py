"""Shared test setup: the example province, its lab vault password, and the lab fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra.inventory import Inventory
from infra.monitoring import RenderOptions, render_monitoring, write_monitoring
from infra.monitoring.render import Rendered

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
VAULT_PASSWORD_FILE = ROOT / "lab" / "vault-password"
SHARED = Path(os.environ.get("INFRA_SHARED", ROOT.parent / "shared"))

os.environ.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", str(VAULT_PASSWORD_FILE))
os.environ.setdefault("INFRA_INVENTORY", str(INVENTORY))

pytest_plugins = ["tests.fixtures_lab"]


@pytest.fixture(scope="session")
def example_inventory():  # type: ignore[no-untyped-def]
    from infra.inventory import load_inventory

    return load_inventory(INVENTORY)


# The on-call board's lab users' passwords: the vault holds only their argon2id hashes.
ONCALL_PASSWORDS = ("Lab-Oncall-Pw-4k7s", "Lab-Oncall-Xem-2p9d")  # truc-ban (operator), xem (viewer)

# The lab's secrets in plain text, so tests can prove none of them is ever printed or stored.
LAB_SECRETS = (
    "Lab-Dev1ce-Pw-7f3k",
    "Lab-En4ble-Sx-9q2m",
    "Lab-Snmp-Auth-4h8w",
    "Lab-Snmp-Priv-6t1z",
    "Lab-Aaa-Key-3n5v",
    "LabOspf8",
    "Lab-Bgp-Md5-2c7x",
    "Lab-Ntp-Key-5r9p",
    "Lab-Vpn-Psk-8d4j",
    "Lab-Codec-Pw-6m2k",
    *ONCALL_PASSWORDS,
    "Lab-Oncall-Sess-3v8b-Qm2Zt6Wk9Yp4Rx7Nc5",  # signs the board's session cookies
    "Lab-Restic-Repo-5w3h",  # server data: the restic repository on srv-log-1
    "Lab-Restic-Copy-9k2f",  # and its copy on srv-log-2
    "lamvien-lab-vault-2026",
)


def masked(text: str) -> str:
    for secret in LAB_SECRETS:
        text = text.replace(secret, "<secret>")
    return text


def mask_report(report: pytest.TestReport) -> None:
    """A failing assertion prints what it compared: a device's config carries its keys. What a
    test report prints (the failure and the captured output) never shows a lab secret."""
    if report.longrepr is not None:
        text = str(report.longrepr)
        if any(secret in text for secret in LAB_SECRETS):
            report.longrepr = masked(text)
    report.sections = [(name, masked(content)) for name, content in report.sections]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    mask_report(outcome.get_result())


# The example province's monitoring, rendered once per session (monitoring and board tests).
@pytest.fixture(scope="session")
def rendered(example_inventory: Inventory) -> Rendered:
    return render_monitoring(example_inventory, RenderOptions())


@pytest.fixture(scope="session")
def rendered_dir(rendered: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monitoring")
    write_monitoring(rendered, out)
    return out
