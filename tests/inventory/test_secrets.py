"""No command prints a secret; secrets come from the vault (or the environment) only when asked."""

from __future__ import annotations

import json
import os
from typing import get_args

import pytest

from infra.inventory import Inventory
from infra.inventory.models import Credentials
from infra.inventory.secrets import Secret, SecretRef, SecretStore, parse_ref
from tests.conftest import LAB_SECRETS
from tests.inventory.helpers import run


def assert_no_secret(text: str, also: tuple[str, ...] = ()) -> None:
    for secret in LAB_SECRETS:
        assert secret not in text, "a lab secret leaked into output"
    # `also`: values revealed by the test, perhaps not in LAB_SECRETS (which the report masks)
    assert not any(secret in text for secret in also), "a revealed secret leaked into output"


def secret_fields() -> list[str]:
    """The credentials that are secrets, read from the model (a field typed SecretRef), so a
    secret added to the model is revealed and looked for by the tests below without a list here."""
    fields = Credentials.model_fields
    return [name for name, f in fields.items() if SecretRef in (f.annotation, *get_args(f.annotation))]


def test_secrets_are_decrypted_from_the_vault_with_ansibles_password_file(
    example_inventory: Inventory,
) -> None:
    secret = example_inventory.secret(example_inventory.credentials.snmpv3_auth_password)
    assert secret.reveal() == "Lab-Snmp-Auth-4h8w"
    assert repr(secret) == str(secret) == "<secret>"
    assert f"{secret}" == "<secret>"


def test_environment_references(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = parse_ref("{{ lookup('env', 'INFRA_TEST_TOKEN') }}")
    assert ref == SecretRef("env", "INFRA_TEST_TOKEN")
    store = SecretStore(lambda name: None)
    monkeypatch.setenv("INFRA_TEST_TOKEN", "tok-123456")
    assert store.resolve(ref).reveal() == "tok-123456"
    assert store.mask("login tok-123456 ok") == "login <secret> ok"


def test_wrong_vault_password_is_a_clear_error(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from infra.inventory import InventoryError, load_inventory
    from tests.conftest import INVENTORY

    wrong = tmp_path / "pw"
    wrong.write_text("not-the-password\n")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(wrong))
    inv = load_inventory(INVENTORY)  # loading needs no password: secrets are decrypted lazily
    with pytest.raises(InventoryError, match="cannot be decrypted with the vault password file"):
        inv.secret(inv.credentials.device_password)


def test_no_inventory_command_prints_a_secret(example_inventory: Inventory) -> None:
    # reveal every secret first, so a leak through any cache would show
    revealed = tuple(
        example_inventory.secret(getattr(example_inventory.credentials, field)).reveal()
        for field in secret_fields()
    )
    assert "device_password" in secret_fields() and "codec_password" in secret_fields()
    assert example_inventory.oncall is not None  # the on-call board's session key and password hashes
    for ref, _ in example_inventory.oncall.secrets(None).values():
        example_inventory.secret(ref)
    outputs = []
    for fmt in ("table", "json"):
        outputs.append(run("--format", fmt, "inventory", "validate").output)
        outputs.append(run("--format", fmt, "inventory", "list").output)
        for host in example_inventory.hosts:
            result = run("--format", fmt, "inventory", "show", host)
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    outputs.append(run("inventory", "graph").output)
    outputs.append(run("inventory", "graph", "--graph-format", "mermaid").output)
    for out in outputs:
        assert_no_secret(out, revealed)
        assert "$argon2" not in out  # nor a password hash of the board
    shown = json.loads(run("--format", "json", "inventory", "show", "dc-core-1").output)
    assert shown["credentials"]["device_password"] == "vault variable vault_device_password"


def test_secret_values_never_reach_the_environment_of_the_test_process() -> None:
    assert_no_secret(json.dumps(dict(os.environ)))


def test_secret_object_hides_value_in_containers() -> None:
    s = Secret("Lab-Dev1ce-Pw-7f3k")
    assert_no_secret(repr([s]) + repr({"k": s}) + f"{s!s}")
