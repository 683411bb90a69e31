"""Who may use the on-call board, from the inventory: users, roles, vaulted hashes, read networks."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from infra.inventory import Inventory
from infra.inventory.oncall import OncallRole
from tests.inventory.helpers import edit_yaml
from tests.inventory.test_errors import broken


def edit_oncall(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda inv: edit_yaml(inv / "group_vars" / "all" / "oncall.yml", lambda d: change(d["oncall"]))


def test_the_lab_province_has_an_operator_and_a_viewer(example_inventory: Inventory) -> None:
    oncall = example_inventory.oncall
    assert oncall is not None
    assert [(u.name, u.role) for u in oncall.users] == [
        ("truc-ban", OncallRole.OPERATOR),
        ("xem", OncallRole.VIEWER),
    ]
    assert ip_network("10.127.0.0/16") in oncall.read_without_login
    assert example_inventory.pools.management in oncall.read_without_login
    assert oncall.user("xem") is not None and oncall.user("nobody") is None


def test_the_vaulted_hashes_verify_the_lab_passwords(example_inventory: Inventory) -> None:
    oncall = example_inventory.oncall
    assert oncall is not None
    hasher = PasswordHasher()
    for name, password in (("truc-ban", "Lab-Oncall-Pw-4k7s"), ("xem", "Lab-Oncall-Xem-2p9d")):
        user = oncall.user(name)
        assert user is not None
        hashed = example_inventory.secret(user.password_hash).reveal()
        assert hashed.startswith("$argon2id$")
        assert hasher.verify(hashed, password)
    assert len(example_inventory.secret(oncall.session_key).reveal()) >= 32


def test_the_board_secrets_are_resolved_with_the_credentials(example_inventory: Inventory) -> None:
    values = example_inventory.secrets.resolve_all()
    assert "Lab-Oncall-Sess-3v8b-Qm2Zt6Wk9Yp4Rx7Nc5" in values
    assert sum(v.startswith("$argon2id$") for v in values) == 2


def test_no_oncall_is_none(tmp_path: Path) -> None:
    from infra.inventory import load_inventory
    from tests.inventory.helpers import copy_inventory

    inv = copy_inventory(tmp_path)
    (inv / "group_vars" / "all" / "oncall.yml").unlink()
    assert load_inventory(inv).oncall is None


def test_an_unknown_role_names_the_user_and_its_line(tmp_path: Path) -> None:
    code, out = broken(tmp_path, edit_oncall(lambda d: d["users"][1].__setitem__("role", "admin")))
    assert code == 2
    assert "oncall.yml:" in out and "field oncall.users[xem].role" in out and "'viewer' or 'operator'" in out
    line = int(out.split("oncall.yml:")[1].split(",")[0])
    text = (tmp_path / "inventory" / "group_vars" / "all" / "oncall.yml").read_text().splitlines()
    assert "name: xem" in text[line - 1]


def test_a_user_defined_twice_is_refused(tmp_path: Path) -> None:
    def twice(d: dict[str, Any]) -> None:
        d["users"].append({**d["users"][0], "role": "viewer"})

    code, out = broken(tmp_path, edit_oncall(twice))
    assert code == 2
    assert "field oncall.users[truc-ban].name" in out and "defined twice" in out
    line = int(out.split("oncall.yml:")[1].split(",")[0])
    text = (tmp_path / "inventory" / "group_vars" / "all" / "oncall.yml").read_text().splitlines()
    assert "name: truc-ban" in text[line - 1]
    assert text.index(text[line - 1]) < line - 1  # the second entry, not the first


def test_a_password_hash_in_plain_text_is_refused(tmp_path: Path) -> None:
    plain = PasswordHasher().hash("anything-at-all")
    code, out = broken(tmp_path, edit_oncall(lambda d: d["users"][0].__setitem__("password_hash", plain)))
    assert code == 2
    assert "field oncall.users[truc-ban].password_hash" in out and "plain text" in out and "vault" in out
    assert plain not in out  # the error names the field, never echoes the value


def test_a_session_key_in_plain_text_is_refused(tmp_path: Path) -> None:
    code, out = broken(tmp_path, edit_oncall(lambda d: d.__setitem__("session_key", "not-a-secret-at-all")))
    assert code == 2
    assert "field oncall.session_key" in out and "plain text" in out
    assert "not-a-secret-at-all" not in out


def test_a_bad_network_is_refused(tmp_path: Path) -> None:
    code, out = broken(
        tmp_path, edit_oncall(lambda d: d.__setitem__("read_without_login", ["10.127.0.1/16", "127.0.0.0/8"]))
    )
    assert code == 2
    assert "field oncall.read_without_login" in out and "'10.127.0.1/16' is not a network" in out


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    code, out = broken(tmp_path, edit_oncall(lambda d: d["users"][0].__setitem__("pasword", "x")))
    assert code == 2
    assert "field oncall.users[truc-ban].pasword" in out and "unknown key" in out


def test_oncall_belongs_in_group_all(tmp_path: Path) -> None:
    def edit(inv: Path) -> None:
        src = inv / "group_vars" / "all" / "oncall.yml"
        moved: dict[str, Any] = {}
        edit_yaml(src, lambda d: moved.update(d))
        edit_yaml(inv / "group_vars" / "cpe.yml", lambda d: d.update(moved))
        src.unlink()

    code, out = broken(tmp_path, edit)
    assert code == 2 and "field oncall" in out and "belongs in group_vars/all" in out
