"""Slack: tenant-owned (one workspace per tenant, no profile). Capabilities arrive later."""

from worker.registry import Provider, register

SLACK = register(Provider(name="slack", ownership="tenant", capabilities={}))
