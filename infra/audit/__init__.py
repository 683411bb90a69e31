"""Audit: drift (intended vs running) and compliance (security baseline), reported alike."""
