"""The lab guard's logic, against fake route tables (no root, no lab)."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from infra.inventory import Inventory, load_inventory
from infra.inventory.secrets import SecretUnavailable
from infra.safety import LabNotUp, leak, read_routes, ready_to_contact, require_lab_route
from tests.conftest import LAB_SECRETS, ONCALL_PASSWORDS
from tests.inventory.helpers import copy_inventory, edit_yaml
from tests.safety.routes import LAB_DOWN, LAB_UP, fake_routes, table

SPACE = IPv4Network("10.64.0.0/10")


def test_the_route_lab_up_installs_keeps_the_space_on_this_machine() -> None:
    assert leak(SPACE, table(*LAB_UP)) is None
    assert leak(SPACE, table("blackhole 10.64.0.0/10")) is None  # any discarding route does


def test_without_it_the_default_route_would_carry_lab_traffic_away() -> None:
    why = leak(SPACE, table(*LAB_DOWN))
    assert why == (
        "10.64.0.0/10 has no unreachable route: it would follow the default route through eth0 via 192.0.2.1"
    )
    assert leak(SPACE, table()) == "10.64.0.0/10 has no unreachable route"
    assert leak(SPACE, table("10.64.0.0/10 via 192.0.2.9 dev eth1")) == (
        "10.64.0.0/10 is routed through eth1 via 192.0.2.9"
    )


def test_a_more_specific_route_through_a_gateway_escapes_the_unreachable_route() -> None:
    routes = table(*LAB_UP, "10.80.0.0/16 via 192.0.2.7 dev eth0")
    assert leak(SPACE, routes) == "10.80.0.0/16 (inside 10.64.0.0/10) is routed via 192.0.2.7 on eth0"
    # routes outside the space or wider than it do not matter (the /10 wins inside it)
    assert (
        leak(
            SPACE, table(*LAB_UP, "10.0.0.0/8 via 192.0.2.7 dev eth0", "10.128.0.0/16 via 192.0.2.7 dev eth0")
        )
        is None
    )


def test_reads_the_kernels_main_table(tmp_path: Path) -> None:
    text = (  # /proc/net/route with the lab up, as this machine printed it
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "*\t0000400A\t00000000\t0201\t0\t0\t0\t0000C0FF\t0\t0\t0\n"
        "infra-mgmt\t00007F0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    )
    (tmp_path / "route").write_text(text)
    assert read_routes(tmp_path / "route") == table(*LAB_UP[:3], "192.0.2.0/24 dev eth0")
    assert read_routes(tmp_path / "missing") == []  # no table: nothing is known to be blackholed


def test_a_lab_province_is_refused_while_its_lab_is_down(
    monkeypatch: pytest.MonkeyPatch, example_inventory: Inventory
) -> None:
    assert example_inventory.province.lab
    fake_routes(monkeypatch, *LAB_DOWN)
    with pytest.raises(LabNotUp) as exc:
        require_lab_route(example_inventory)
    assert "the lab is not up: 10.64.0.0/10 has no unreachable route" in str(exc.value)
    assert "run `sudo infra lab up` first" in str(exc.value)
    fake_routes(monkeypatch, *LAB_UP)
    require_lab_route(example_inventory)


def test_a_real_province_is_never_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = copy_inventory(tmp_path)
    edit_yaml(path / "group_vars/all/province.yml", lambda d: d["province"].update(lab=False))
    reads = fake_routes(monkeypatch, *LAB_DOWN)
    real = load_inventory(path)
    resolved = set(ready_to_contact(real))
    hashes = {s for s in resolved if s.startswith("$argon2id$")}  # the board's users: hashes, not passwords
    assert len(hashes) == 2
    assert resolved - hashes == set(LAB_SECRETS[:-1]) - set(ONCALL_PASSWORDS)  # every secret, no route read
    assert reads == []


def test_ready_to_contact_names_each_secret_it_cannot_resolve(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = copy_inventory(tmp_path)

    def from_env(d: dict[str, dict[str, str]]) -> None:
        d["credentials"]["device_password"] = "{{ lookup('env', 'INFRA_TEST_UNSET_PW') }}"
        d["credentials"]["bgp_password"] = "{{ lookup('env', 'INFRA_TEST_UNSET_BGP') }}"

    edit_yaml(path / "group_vars/all/credentials.yml", from_env)
    monkeypatch.delenv("INFRA_TEST_UNSET_PW", raising=False)
    monkeypatch.delenv("INFRA_TEST_UNSET_BGP", raising=False)
    fake_routes(monkeypatch, *LAB_UP)
    inv = load_inventory(path)
    with pytest.raises(SecretUnavailable) as exc:
        ready_to_contact(inv)
    assert [(p.field, p.file, p.line) for p in exc.value.problems] == [
        ("credentials.device_password", "inventory/group_vars/all/credentials.yml", 6),
        ("credentials.bgp_password", "inventory/group_vars/all/credentials.yml", 12),
    ]
    assert str(exc.value).splitlines() == [
        "2 secrets cannot be resolved:",
        "  - inventory/group_vars/all/credentials.yml:6, field credentials.device_password: "
        "environment variable INFRA_TEST_UNSET_PW is not set (export it before running infra)",
        "  - inventory/group_vars/all/credentials.yml:12, field credentials.bgp_password: "
        "environment variable INFRA_TEST_UNSET_BGP is not set (export it before running infra)",
    ]
    monkeypatch.setenv("INFRA_TEST_UNSET_PW", "Env-Pw-0a1b")
    monkeypatch.setenv("INFRA_TEST_UNSET_BGP", "Env-Bgp-2c3d")
    hidden = ready_to_contact(inv)
    assert {"Env-Pw-0a1b", "Env-Bgp-2c3d"} <= set(hidden)
    assert inv.secrets.mask("password Env-Pw-0a1b md5 Env-Bgp-2c3d") == "password <secret> md5 <secret>"
