"""Rendering: inventory + templates -> each network device's and codec's intended configuration.
Pure: no I/O but reading templates. See docs/render.md."""

from infra.render.codec import codec_context, sip_proxy
from infra.render.context import device_context
from infra.render.engine import MASK, TEMPLATES_DIR, render_all, render_host, renders
from infra.render.errors import RenderError

__all__ = [
    "MASK",
    "TEMPLATES_DIR",
    "RenderError",
    "codec_context",
    "device_context",
    "render_all",
    "render_host",
    "renders",
    "sip_proxy",
]
