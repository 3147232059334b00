"""The web service `integrations serve`: provider push (webhooks), health, the operators' status page.

Provider-neutral: each provider declares its webhooks on its `Provider` (worker/capabilities.py,
`Webhook`) and keeps their verification in its own folder; this package routes to them.
"""
