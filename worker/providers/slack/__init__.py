"""Slack: a tenant-owned provider (one workspace install per tenant, no profile): channels, threads, users."""
