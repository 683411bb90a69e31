"""The codec's persistent state in its state directory (one per lab codec):

    DIR/xconfig.json    every setting, {RoomOS path: value}; absent = factory state
    DIR/runtime.json    what outlives one SSH session: the next CallId, when the SIP
                        account was last (re)created (to tell Registering from Failed)
    DIR/baresip/        the user agent's config dir (config, accounts), see baresip.py
    DIR/.lock           flock taken around every read-modify-write

Settings persist the moment they are set, as on RoomOS: every session reads the file afresh,
so two SSH sessions see each other's changes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.lab.codec.schema import BY_KEY, factory
from infra.lab.lock import exclusive

XCONFIG = "xconfig.json"
RUNTIME = "runtime.json"


class StateError(RuntimeError):
    """The state directory holds something the stand-in cannot read."""


@contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(state_dir / ".lock"):
        yield


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise StateError(f"{path}: not readable as JSON ({e})") from None
    if not isinstance(data, dict):
        raise StateError(f"{path}: expected a JSON object")
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_settings(state_dir: Path) -> dict[str, str]:
    """Every setting: the factory values overlaid with what was set. An unknown path or a value
    outside its value space in the file is a StateError naming it."""
    settings = factory()
    for path, value in _read_json(state_dir / XCONFIG).items():
        setting = BY_KEY.get(str(path).lower())
        if setting is None or not isinstance(value, str):
            raise StateError(f"{state_dir / XCONFIG}: unknown setting or non-string value: {path!r}")
        settings[setting.path] = value
    return settings


def save_settings(state_dir: Path, settings: dict[str, str]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    _write_json(state_dir / XCONFIG, dict(settings))


def load_runtime(state_dir: Path) -> dict[str, Any]:
    return _read_json(state_dir / RUNTIME)


def update_runtime(state_dir: Path, **values: Any) -> dict[str, Any]:
    """Merge values into runtime.json (caller holds `locked`)."""
    data = load_runtime(state_dir)
    data.update(values)
    _write_json(state_dir / RUNTIME, data)
    return data


def next_call_id(state_dir: Path) -> int:
    """RoomOS numbers calls with a counter that keeps growing across sessions."""
    with locked(state_dir):
        n = int(load_runtime(state_dir).get("next_call_id", 1))
        update_runtime(state_dir, next_call_id=n + 1)
    return n
