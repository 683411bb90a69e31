"""The command line: every command has help; outputs have the promised shapes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from infra.cli import cli
from infra.inventory import load_inventory
from tests.inventory.helpers import run


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, as `infra --help` lists them (subcommands are imported lazily)."""
    out = [prefix]
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            out += _all_commands(cmd, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def test_every_command_has_help() -> None:
    commands = _all_commands(cli)
    assert ("inventory", "validate") in commands
    for path in commands:
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "usage:" in result.output.lower()


def test_validate_prints_the_summary() -> None:
    result = run("inventory", "validate")
    assert result.exit_code == 0
    assert "is valid" in result.output and "hosts" in result.output
    data = json.loads(run("--format", "json", "inventory", "validate").output)
    assert data["valid"] is True and data["hosts"] == 68 and data["wan_vpn_tunnels"] == 20


def test_list_honours_limit() -> None:
    data = json.loads(run("--format", "json", "--limit", "core_routers", "inventory", "list").output)
    assert [r["host"] for r in data] == ["dc-core-1", "dc-core-2"]
    bad = run("--limit", "nothing-like-this", "inventory", "list")
    assert bad.exit_code == 2 and "matches no host" in bad.output


def test_show_unknown_host() -> None:
    result = run("inventory", "show", "nope")
    assert result.exit_code == 2 and "'nope' is not in the inventory" in result.output


def test_graph_dot_and_mermaid(tmp_path: Path) -> None:
    dot = run("inventory", "graph").output
    assert dot.startswith('graph "lamvien"') and '"wan-hub-1" -- "cpe-so-noi-vu"' in dot
    assert "style=dashed" in dot  # tunnels
    mer = run("inventory", "graph", "--graph-format", "mermaid").output
    assert mer.startswith("graph LR") and "wan_hub_1 -.-" in mer
    out = tmp_path / "p.dot"
    assert run("inventory", "graph", "-o", str(out)).exit_code == 0 and out.read_text() == dot


def test_generate_writes_a_valid_province(tmp_path: Path) -> None:
    out = tmp_path / "big"
    result = run(
        "inventory",
        "generate",
        "--out",
        str(out),
        "--departments",
        "40",
        "--communes",
        "130",
        "--access-switches",
        "12",
        "--campus-units",
        "30",
        "--vc-endpoints",
        "200",
        "--app-servers",
        "3",
    )
    assert result.exit_code == 0, result.output
    inv = load_inventory(out)
    cpes = [h for h in inv.hosts.values() if h.role.value == "cpe"]
    assert len(cpes) == 170 and inv.wan_vpn and len(inv.wan_vpn.tunnels) == 170
    assert len([h for h in inv.hosts.values() if h.role.value == "server"]) == 13  # with the call controller
    endpoints = inv.vc_endpoints
    assert len(endpoints) == 200 and len({h.sip_uri for h in endpoints}) == 200
    assert all(inv.lan_router(h) is not None for h in endpoints)  # each on its agency's LAN
    again = run("inventory", "generate", "--out", str(out))
    assert again.exit_code == 2 and "not empty" in again.output


def test_exporter_serve_reaches_the_snmp_exporter() -> None:
    result = run("exporter", "serve", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "if_mib" in result.output and "public_v2" in result.output
