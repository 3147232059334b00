"""Slack: tenant-owned (one workspace per tenant, no profile). Capabilities arrive later."""

from worker.capabilities import Provider

SLACK = Provider(name="slack", ownership="tenant", capabilities={}, credential_kind="oauth2")
