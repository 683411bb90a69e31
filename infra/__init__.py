"""infra: automation for a provincial e-government's infrastructure."""

__version__ = "0.1.0"
