"""Session-scoped fixtures for tests that need the lab (filled in by the lab work)."""
