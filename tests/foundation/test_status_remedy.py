"""`status` tells an operator the command that fixes a capability, in the provider's own terms."""

import uuid

from worker.status import remedy


def _row(provider: str, profile_id, status: str = "needs_reauth") -> dict:
    return {"provider": provider, "tenant_id": uuid.uuid4(), "profile_id": profile_id, "account_id": "acct",
            "capability": "sync_things_live", "connection_status": "active", "status": status, "stream": "",
            "next_run_at": None, "consecutive_failures": 1, "connection_id": uuid.uuid4()}


def test_reconnect_remedy_names_the_profile_only_for_user_owned_providers():
    profile = uuid.uuid4()
    user_owned = remedy(_row("google", profile))
    assert "integrations connect google --tenant" in user_owned and f"--profile {profile}" in user_owned
    tenant_owned = remedy(_row("slack", None))
    assert "integrations connect slack --tenant" in tenant_owned and "--profile" not in tenant_owned
    assert remedy(_row("slack", None, status="ok")) is None
