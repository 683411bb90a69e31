"""Rendering: inventory + templates -> each device's intended configuration. Pure: no I/O but
reading templates. See docs/render.md."""

from infra.render.context import device_context
from infra.render.engine import MASK, TEMPLATES_DIR, render_all, render_host
from infra.render.errors import RenderError

__all__ = ["MASK", "TEMPLATES_DIR", "RenderError", "device_context", "render_all", "render_host"]
