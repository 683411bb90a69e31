"""A broken inventory exits with code 2 and a message naming file, line, host and field; never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.inventory.helpers import copy_inventory, edit_yaml, run


def broken(tmp_path: Path, edit: Callable[[Path], None]) -> tuple[int, str]:
    inv = copy_inventory(tmp_path)
    edit(inv)
    result = run("--inventory", str(inv), "inventory", "validate")
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def set_host_var(host: str, key: str, value: Any) -> Callable[[Path], None]:
    def edit(inv: Path) -> None:
        edit_yaml(inv / "host_vars" / f"{host}.yml", lambda d: d.__setitem__(key, value))

    return edit


def edit_topology(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda inv: edit_yaml(inv / "group_vars" / "all" / "topology.yml", change)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        p = inv / "host_vars" / "dc-core-1.yml"
        p.write_text(p.read_text() + "loopback: [unclosed\n")

    code, out = broken(tmp_path, edit)
    assert code == 2
    assert "host_vars/dc-core-1.yml:" in out and "not valid YAML" in out


def test_unknown_key_names_file_line_host_and_field(tmp_path: Path) -> None:
    code, out = broken(tmp_path, set_host_var("dc-core-1", "loopbak", "10.126.9.9/32"))
    assert code == 2
    assert "host_vars/dc-core-1.yml:" in out
    assert "host dc-core-1" in out and "field loopbak" in out and "unknown key" in out


def test_key_written_twice(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        p = inv / "host_vars" / "dc-core-2.yml"
        p.write_text(p.read_text() + "loopback: 10.126.9.9/32\n")

    code, out = broken(tmp_path, edit)
    assert code == 2 and "dc-core-2.yml" in out and "written twice" in out


def test_duplicate_hostname(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(
            inv / "hosts.yml",
            lambda d: d["all"]["children"]["network"]["children"]["core_routers"]["hosts"].__setitem__(
                "DC-CORE-1", None
            ),
        )
        (inv / "host_vars" / "DC-CORE-1.yml").write_text(
            (inv / "host_vars" / "dc-core-1.yml")
            .read_text()
            .replace("10.127.0.2", "10.127.9.2")
            .replace("10.126.0.1/32", "10.126.9.1/32")
        )

    code, out = broken(tmp_path, edit)
    assert code == 2 and "host DC-CORE-1" in out and "duplicates 'dc-core-1'" in out


def test_duplicate_management_address(tmp_path: Path) -> None:
    code, out = broken(tmp_path, set_host_var("dc-core-2", "ansible_host", "10.127.0.2"))
    assert code == 2
    assert "host dc-core-2" in out and "10.127.0.2" in out and "already used by dc-core-1" in out


def test_overlapping_subnets(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, edit_topology(lambda d: d["links"][1].__setitem__("subnet", "10.124.0.0/30"))
    )
    assert code == 2 and "overlaps" in out and "10.124.0.0/30" in out and "topology.yml" in out


def test_link_names_unknown_host(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, edit_topology(lambda d: d["links"][0].__setitem__("b", "dc-core-9:GigabitEthernet0/0/1"))
    )
    assert code == 2 and "unknown host 'dc-core-9'" in out and "links[dc-core-1--dc-core-2].b" in out


def test_tunnel_number_reused_points_at_the_tunnel(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        tunnels = d["wan_vpn"]["tunnels"]
        tunnels[5]["number"] = tunnels[2]["number"]

    code, out = broken(tmp_path, edit_topology(edit))
    lines = (tmp_path / "inventory" / "group_vars" / "all" / "topology.yml").read_text().splitlines()
    ids = [n for n, text in enumerate(lines, 1) if text.lstrip().startswith("- id: vpn-")]
    tunnel = lines[ids[5] - 1].split("id:")[1].strip()
    assert code == 2 and f"tunnel {tunnel} reuses number" in out
    assert f"topology.yml:{ids[5]}, field wan_vpn.tunnels[{tunnel}]" in out  # its own line, not wan_vpn:


def test_link_names_an_interface_the_platform_does_not_have(tmp_path: Path) -> None:
    code, out = broken(tmp_path, edit_topology(lambda d: d["links"][0].__setitem__("a", "dc-core-1:Gi0/1")))
    assert (
        code == 2 and "'Gi0/1' is not an interface of a cisco_ios device" in out and "host dc-core-1" in out
    )


def test_interface_used_twice(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, edit_topology(lambda d: d["links"][1].__setitem__("a", "dc-core-1:GigabitEthernet0/0/1"))
    )
    assert code == 2 and "interface GigabitEthernet0/0/1 of dc-core-1 is used by link" in out


@pytest.mark.parametrize(("vlan", "message"), [(5000, "less than or equal to 4094"), (1003, "reserved")])
def test_vlan_out_of_range(tmp_path: Path, vlan: int, message: str) -> None:
    code, out = broken(tmp_path, edit_topology(lambda d: d["vlans"][0].__setitem__("id", vlan)))
    assert code == 2 and message in out and "vlans" in out


def test_vlan_duplicated_at_a_site(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, edit_topology(lambda d: d["vlans"][1].__setitem__("id", d["vlans"][0]["id"]))
    )
    assert code == 2 and "is defined twice at site campus" in out


def test_ospf_timers_inconsistent_between_neighbours(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, set_host_var("dc-core-2", "ospf", {"hello_interval": 10, "dead_interval": 40})
    )
    assert code == 2 and "OSPF timers differ on dc-core-1--dc-core-2" in out and "host dc-core-2" in out


def test_bgp_link_without_asn(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(inv / "host_vars" / "cpe-so-noi-vu.yml", lambda d: d.pop("bgp_asn"))

    code, out = broken(tmp_path, edit)
    assert code == 2 and "cpe-so-noi-vu has no bgp_asn" in out and "field bgp_asn" in out


@pytest.mark.parametrize("missing", ["role", "platform", "site"])
def test_host_without_role_site_or_platform(tmp_path: Path, missing: str) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(inv / "group_vars" / "core_routers.yml", lambda d: d.pop(missing))

    code, out = broken(tmp_path, edit)
    assert code == 2 and "host dc-core-1" in out and f"field {missing}" in out and "required" in out


def test_credential_in_plain_text(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        edit_yaml(
            inv / "group_vars" / "all" / "credentials.yml",
            lambda d: d["credentials"].__setitem__("bgp_password", "hunter2"),
        )

    code, out = broken(tmp_path, edit)
    assert code == 2 and "credentials.bgp_password" in out and "plain text" in out
    assert "hunter2" not in out
    assert "credentials.yml:" in out


def test_missing_inventory(tmp_path: Path) -> None:
    result = run("--inventory", str(tmp_path / "nowhere"), "inventory", "validate")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        set_host_var("dc-core-1", "loopbak", "x")(inv)
        set_host_var("dc-core-2", "colour", "blue")(inv)

    code, out = broken(tmp_path, edit)
    assert code == 2 and "2 problems" in out and "loopbak" in out and "colour" in out
