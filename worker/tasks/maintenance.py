"""Housekeeping tasks (filled in below)."""
