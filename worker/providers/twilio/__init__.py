"""Twilio: tenant-owned SMS/MMS and calls, authenticated with an API key (no OAuth).

The Account SID names the connection's account (`connections.account_id`); its credentials are an
API key SID and secret (HTTP Basic), checked against the account before they are stored. Three
capabilities: `sync_sms_live` and `sync_calls_live` (date windows with an overlap: statuses and
prices change after the fact) and `send_sms` (exactly once, though Twilio has no idempotency key).
"""
