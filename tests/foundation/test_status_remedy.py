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


def test_a_slack_refresh_token_refused_says_the_grant_is_lost_for_good_and_names_the_reinstall():
    from worker.providers.slack.auth.tokens import REFRESH_REFUSED

    lost = remedy({**_row("slack", None), "status_reason": REFRESH_REFUSED})
    assert lost.startswith("reconnect by reinstalling the Slack app") and "no grace period" in lost
    assert "integrations connect slack --tenant" in lost
    revoked = remedy({**_row("slack", None), "status_reason": "reinstall the Slack app: its token was revoked"})
    assert "reinstalling the Slack app" in revoked and "no grace period" not in revoked
    assert remedy(_row("google", uuid.uuid4())).startswith("reconnect: the refresh token was revoked or expired")
