"""Twilio's registry entry: a tenant-owned provider (SMS/MMS and calls) connected with an API key."""

from __future__ import annotations

from worker.capabilities import Action, Capability, Provider
from worker.providers.twilio import tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.twilio.api import CALL, CALLS, MESSAGE, MESSAGES
from worker.providers.twilio.blueprint import blueprint
from worker.providers.twilio.capabilities import (
    API_KEY,
    SEND_SMS,
    SYNC_CALLS_LIVE,
    SYNC_SMS_LIVE,
    CallsLiveSettings,
    SendSmsSettings,
    SmsLiveSettings,
)
from worker.providers.twilio.context import open_twilio_context
from worker.providers.twilio.push import WEBHOOK
from worker.providers.twilio.reconcile import WindowReconciler
from worker.providers.twilio.send import prepare_send

NOT_REVOCABLE = "not_revocable"


def revoke_grant(settings, credentials: dict | None) -> str:
    """An API key belongs to the account's owner, who created it and may use it elsewhere: deleting
    the connection forgets it; the owner deletes the key in the Twilio console."""
    return NOT_REVOCABLE


TWILIO = Provider(
    name="twilio",
    ownership="tenant",
    credential_kind="api_key",
    capabilities={
        SYNC_SMS_LIVE: Capability(
            SYNC_SMS_LIVE, "live", frozenset({API_KEY}), SmsLiveSettings,
            description="periodic SMS/MMS sync: a DateSent window with an overlap (statuses and prices change)",
            task=SYNC_SMS_LIVE, reconciler=lambda ctx: WindowReconciler(ctx, MESSAGES, SYNC_SMS_LIVE),
            resource_types=(MESSAGE,), normalized_count="twilio.normalized_text_messages",
        ),
        SYNC_CALLS_LIVE: Capability(
            SYNC_CALLS_LIVE, "live", frozenset({API_KEY}), CallsLiveSettings,
            description="periodic call log sync: a StartTime window with an overlap (ends and durations come later)",
            task=SYNC_CALLS_LIVE, reconciler=lambda ctx: WindowReconciler(ctx, CALLS, SYNC_CALLS_LIVE),
            resource_types=(CALL,), normalized_count="twilio.normalized_calls",
        ),
        SEND_SMS: Capability(
            SEND_SMS, "action", frozenset({API_KEY}), SendSmsSettings,
            description="send an SMS exactly once", task=SEND_SMS, resource_types=(MESSAGE,),
        ),
    },
    actions={
        SEND_SMS: Action(prepare=prepare_send, task=SEND_SMS, capability=SEND_SMS,
                         lock=lambda connection, outbound: f"send:{outbound['id']}"),
    },
    revoke_grant=revoke_grant,
    access_settings_url="https://console.twilio.com/us1/account/keys-credentials/api-keys",
    open_context=open_twilio_context,
    blueprint=blueprint,
    connect="worker.providers.twilio.auth.connect:connect_twilio",
    webhooks=(WEBHOOK,),
)
