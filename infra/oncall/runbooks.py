"""Runbooks (docs/runbooks/<alertname>.md) rendered for the board.

A runbook is found by looking the name up in the directory's listing, never by joining the
request's text onto a path: `../../etc/passwd` is simply not in the list. Markdown is rendered
with raw HTML disabled, so whatever a runbook holds is text, never markup that runs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

RUNBOOKS = Path(os.environ.get("INFRA_RUNBOOKS", Path(__file__).resolve().parents[2] / "docs" / "runbooks"))


class Runbooks:
    """The runbooks of one directory; the listing and each page are re-read when they change."""

    def __init__(self, directory: Path = RUNBOOKS) -> None:
        self.directory = directory
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
        self._lock = threading.Lock()
        self._listing: tuple[float, dict[str, Path]] = (-1.0, {})
        self._pages: dict[str, tuple[float, Markup]] = {}

    def names(self) -> dict[str, Path]:
        """Alert name -> its runbook file, for every `*.md` in the directory."""
        try:
            stamp = self.directory.stat().st_mtime
        except OSError:
            return {}
        with self._lock:
            if stamp != self._listing[0]:
                files = {p.stem: p for p in self.directory.glob("*.md") if p.is_file()}
                self._listing = (stamp, files)
            return self._listing[1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def html(self, name: str) -> Markup | None:
        """The runbook of alert `name` as HTML, or None when there is none."""
        path = self.names().get(name)
        if path is None:
            return None
        try:
            stamp = path.stat().st_mtime
            cached = self._pages.get(name)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            # On the board itself, `<board>/alerts` is simply `/alerts`.
            text = path.read_text(encoding="utf-8").replace("`<board>/", "`/")
            page = Markup(self._md.render(text))  # raw HTML off: text only
        except OSError:
            return None
        self._pages[name] = (stamp, page)
        return page


LIBRARY = Runbooks()
