"""The one error rendering raises: it names the host, the platform, and what is missing where."""

from __future__ import annotations


class RenderError(Exception):
    """An intended configuration could not be rendered (bad input, never a bug in the caller)."""

    def __init__(self, host: str, message: str, platform: str | None = None) -> None:
        self.host = host
        self.platform = platform
        where = f"{host} ({platform})" if platform else host
        super().__init__(f"cannot render {where}: {message}")
