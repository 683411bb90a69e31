"""Jinja2 over `templates/<platform>/main.j2`: strict (a missing variable is an error naming the host
and the variable), deterministic, and free of I/O but reading templates."""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from infra.inventory import Host, Inventory, Platform
from infra.inventory.secrets import MASK
from infra.render.codec import CODEC_PLATFORMS, codec_context, is_codec
from infra.render.context import device_context
from infra.render.errors import RenderError
from infra.render.filters import FILTERS

__all__ = ["MASK", "TEMPLATES_DIR", "render_all", "render_host", "renders"]

# The project's templates/ (beside the package in a checkout); INFRA_TEMPLATES overrides it.
TEMPLATES_DIR = Path(os.environ.get("INFRA_TEMPLATES", Path(__file__).resolve().parents[2] / "templates"))
ENTRY = "main.j2"


@lru_cache(maxsize=8)
def _environment(templates_dir: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template file and line in a traceback (Jinja2 rewrites frames to them)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _relative(filename: str, templates_dir: Path) -> str:
    try:
        return str(Path(filename).resolve().relative_to(templates_dir.resolve()))
    except ValueError:
        return filename


def renders(host: Host, platform: Platform | None = None) -> bool:
    """Whether `render_all(..., platform)` renders this host: network devices (for their own or a
    network platform) and codecs (for their own platform)."""
    if platform is None:
        return host.is_network_device or is_codec(host)
    if Platform(platform) in CODEC_PLATFORMS:
        return host.platform == Platform(platform)
    return host.is_network_device


def _context(inv: Inventory, host: str, platform: Platform | None, mask_secrets: bool) -> dict[str, Any]:
    h = inv.hosts.get(host)
    if h is not None and is_codec(h):
        if platform is not None and Platform(platform) != h.platform:
            raise RenderError(host, f"a codec renders only as {h.platform.value}", Platform(platform).value)
        return codec_context(inv, host)
    return device_context(inv, host, platform, mask_secrets=mask_secrets)


def render_host(
    inv: Inventory,
    host: str,
    platform: Platform | None = None,
    *,
    mask_secrets: bool = False,
    templates_dir: Path | None = None,
) -> str:
    """The intended configuration of one network device or codec.

    `platform` defaults to the platform that really runs the device (`inv.stand_in_platform`: FRR
    for every router and switch of a lab province). With `mask_secrets=True` every secret renders
    as `<secret>` (for diffs, backups and golden files); otherwise secrets are resolved (vault).
    """
    tdir = templates_dir or TEMPLATES_DIR
    ctx = _context(inv, host, platform, mask_secrets)
    plat = ctx["platform"]
    env = _environment(tdir)
    try:
        template = env.get_template(f"{plat}/{ENTRY}")
        return template.render(ctx)
    except RenderError:
        raise
    except jinja2.UndefinedError as exc:
        where = _template_frame(sys.exc_info()[2])
        at = f"{_relative(where[0], tdir)} line {where[1]}: " if where else ""
        raise RenderError(host, f"{at}undefined variable: {exc.message}", plat) from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(host, f"template {exc.name} not found under {tdir}", plat) from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(host, f"template {exc.name} line {exc.lineno}: {exc.message}", plat) from None


def render_all(
    inv: Inventory,
    hosts: list[Host] | None = None,
    platform: Platform | None = None,
    *,
    mask_secrets: bool = False,
    templates_dir: Path | None = None,
) -> dict[str, str]:
    """Intended configurations of the given hosts (default: all) that `renders` for `platform`:
    network devices and codecs, by name."""
    selected = hosts if hosts is not None else list(inv.hosts.values())
    return {
        h.name: render_host(inv, h.name, platform, mask_secrets=mask_secrets, templates_dir=templates_dir)
        for h in selected
        if renders(h, platform)
    }
