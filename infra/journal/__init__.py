"""The run journal: who ran what, when, and each device's outcome, in SQLite."""

from infra.journal.db import DeviceEntry, Journal, RunEntry

__all__ = ["DeviceEntry", "Journal", "RunEntry"]
