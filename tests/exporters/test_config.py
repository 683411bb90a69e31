"""Configuration: strict validation with file and key, secrets from the environment, --dry-run,
reload by POST /-/reload and SIGHUP (keeping the old config when the new one is bad)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from snmp_testlib import REFERENCE_IF_MIB, Exporter, start_exporter, stop

from exporters.snmp import config
from exporters.snmp.main import main
from exporters.snmp.validate import ConfigError

GOOD = """
auths:
  v3:
    version: 3
    username: mon
    security_level: authPriv
    auth_protocol: SHA
    password: ${T_AUTH}
    priv_protocol: AES
    priv_password: ${T_PRIV}
modules:
  mini:
    get: [1.3.6.1.2.1.1.3.0]
    metrics:
      - {name: sysUpTime, oid: 1.3.6.1.2.1.1.3, type: gauge}
"""


def write(tmp_path: Path, text: str, name: str = "snmp.yml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("modules.mini.timeout", "5 seconds"), "modules.mini.timeout: expected a duration"),
        (("modules.mini.walkk", ["1.3"]), "modules.mini.walkk: unknown key"),
        (
            ("modules.mini.metrics", [{"name": "x", "oid": "1.3.6.1.2.1.1.3", "type": "gaugee"}]),
            "metrics[0].type",
        ),
        (
            ("modules.mini.metrics", [{"name": "x-y", "oid": "1.3.6.1.2.1.1.3", "type": "gauge"}]),
            "metrics[0].name",
        ),
        (("modules.mini.metrics", [{"name": "x", "oid": "1.3.six", "type": "gauge"}]), "metrics[0].oid"),
        (
            ("modules.mini.metrics", [{"name": "x", "oid": "1.3.6.1.4", "type": "gauge"}]),
            "under no walk or get",
        ),
        (("auths.v3.priv_protocol", "DES"), "auths.v3.priv_protocol: unsupported 'DES'"),
        (("auths.v3.security_level", "authpriv"), "auths.v3.security_level"),
        (("auths.v3.version", 4), "auths.v3.version"),
    ],
)
def test_validation_errors_name_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, object], expected: str
) -> None:
    monkeypatch.setenv("T_AUTH", "a-password")
    monkeypatch.setenv("T_PRIV", "p-password")
    doc = yaml.safe_load(GOOD)
    path, value = change
    *parents, leaf = path.split(".")
    node = doc
    for p in parents:
        node = node[p]
    node[leaf] = value
    f = write(tmp_path, yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as err:
        config.load([str(f)])
    assert str(err.value).startswith(f"{f}: ")
    assert expected in str(err.value)


def test_secrets_from_environment_never_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_AUTH", "a-password")
    monkeypatch.setenv("T_PRIV", "p-password")
    cfg = config.load([str(write(tmp_path, GOOD))])
    auth = cfg.auths["v3"]
    assert auth.password.reveal() == "a-password"
    assert "a-password" not in f"{auth} {auth!r} {auth.password} {cfg.redacted()}"
    user = auth.usm_user()
    assert user is not None and user.priv_password == b"p-password"


def test_missing_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_AUTH", raising=False)
    monkeypatch.setenv("T_PRIV", "x")
    f = write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match=r"auths.v3.password: environment variable T_AUTH is not set"):
        config.load([str(f)])


def test_dry_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("T_AUTH", "a-password")
    monkeypatch.setenv("T_PRIV", "p-password")
    assert main(["--config.file", str(write(tmp_path, GOOD)), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "configuration OK" in out and "password=<secret>" in out and "a-password" not in out
    bad = write(tmp_path, "modules: {x: {walk: [1.3.6.1.2.1.2], metrics: [{name: a}]}}", "bad.yml")
    assert main(["--config.file", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: modules.x.metrics[0].oid: required key is missing" in err
    assert "Traceback" not in err


def test_bundled_config_has_every_module_and_public_v2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dry-run"]) == 0
    cfg = config.load()
    assert cfg.auths["public_v2"].version == 2 and cfg.auths["public_v2"].community.reveal() == "public"
    assert len(cfg.modules) >= 13


def test_bundled_if_mib_is_the_official_module() -> None:
    """Our if_mib loads from snmp_exporter v0.21's snmp.yml unchanged."""
    ref = config.parse("modules:\n" + "".join("  " + line for line in REFERENCE_IF_MIB.open()), "ref")
    assert ref.modules["if_mib"] == config.load().modules["if_mib"]


def test_duplicate_module_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, "modules: {m: {get: [1.3.6.1.2.1.1.3.0]}}", "a.yml")
    b = write(tmp_path, "modules: {m: {get: [1.3.6.1.2.1.1.3.0]}}", "b.yml")
    with pytest.raises(ConfigError, match=r"b.yml: modules.m: defined twice"):
        config.load([str(a), str(b)])


@pytest.fixture
def reloadable(tmp_path: Path) -> Iterator[Exporter]:
    f = write(tmp_path, "modules: {one: {get: [1.3.6.1.2.1.1.3.0]}}")
    e = start_exporter([f], tmp_path, workers=2)
    try:
        yield e
    finally:
        stop(e.proc)


def known_everywhere(e: Exporter, module: str) -> bool:
    """Every worker knows the module (several fresh connections spread over the workers)."""
    answers = [e.get(f"/snmp?target=127.0.0.1:9&module={module}&auth=none")[1] for _ in range(8)]
    assert all(a in (f"Unknown module '{module}'\n", "Unknown auth 'none'\n") for a in answers), answers
    return all(a == "Unknown auth 'none'\n" for a in answers)


def test_reload_by_post_and_sighup(reloadable: Exporter) -> None:
    e = reloadable
    assert not known_everywhere(e, "two")
    e.config_file.write_text("modules: {one: {get: [1.3.6.1.2.1.1.3.0]}, two: {get: [1.3.6.1.2.1.1.5.0]}}")
    assert e.post("/-/reload") == (200, "Config reloaded\n")
    deadline = time.monotonic() + 5
    while not known_everywhere(e, "two") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert known_everywhere(e, "two")

    e.config_file.write_text("modules: {one: {get: [1.3.6.1.2.1.1.3.0]}, two: {gett: []}}")
    status, body = e.post("/-/reload")
    assert status == 500 and f"{e.config_file}: modules.two.gett: unknown key" in body
    assert known_everywhere(e, "two")  # the previous configuration is still in force

    e.config_file.write_text("modules: {three: {get: [1.3.6.1.2.1.1.5.0]}}")
    os.kill(e.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while not known_everywhere(e, "three") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert known_everywhere(e, "three")
    assert e.get("/snmp?target=127.0.0.1:9&module=one&auth=none") == (400, "Unknown module 'one'\n")
    _, metrics = e.get("/metrics")
    assert "snmp_exporter_config_last_reload_successful 1.0" in metrics
