"""Slack's registry entry: a tenant-owned provider (one workspace install per tenant, no profile)."""

from __future__ import annotations

from worker.capabilities import Action, Capability, Provider
from worker.providers.slack.auth.oauth import revoke_grant
from worker.providers.slack.auth.tokens import reauth_remedy
from worker.providers.slack.blueprint import blueprint
from worker.providers.slack.capabilities import CHAT_WRITE, READ_SCOPES, ChannelsLiveSettings, PostMessageSettings
from worker.providers.slack.channels import tasks as channel_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.slack.channels.messages import CHANNEL, MESSAGE, USER
from worker.providers.slack.channels.once import ChannelsOnceParams
from worker.providers.slack.channels.post import prepare_post
from worker.providers.slack.channels.reconcile import ChannelsReconciler
from worker.providers.slack.context import open_slack_context
from worker.providers.slack.push import WEBHOOK

SLACK = Provider(
    name="slack",
    ownership="tenant",
    credential_kind="oauth2",
    capabilities={
        "sync_channels_live": Capability(
            "sync_channels_live", "live", READ_SCOPES, ChannelsLiveSettings,
            description="periodic channel sync: history and threads, a re-read window for edits and deletions",
            task="sync_channels_live", reconciler=ChannelsReconciler, normalized_count="status.normalized_chat_messages",
            resource_types=(MESSAGE, CHANNEL, USER),
        ),
        "sync_channels_once": Capability(
            "sync_channels_once", "once", READ_SCOPES,
            description="manual sync of chosen channels over a time window",
            task="sync_channels_once", params_model=ChannelsOnceParams, resource_types=(MESSAGE, CHANNEL, USER),
        ),
        "post_message": Capability(
            "post_message", "action", frozenset({CHAT_WRITE}), PostMessageSettings,
            description="post a message or a thread reply, exactly once", task="post_message",
            resource_types=(MESSAGE,),
        ),
    },
    actions={"post_message": Action(prepare=prepare_post, task="post_message", capability="post_message",
                                    lock=lambda connection, outbound: f"post:{outbound['id']}")},
    revoke_grant=revoke_grant,
    access_settings_url="https://slack.com/apps/manage",
    reauth_remedy=reauth_remedy,
    open_context=open_slack_context,
    blueprint=blueprint,
    connect="worker.providers.slack.auth.connect:connect_slack",
    needs_account=False,
    webhooks=(WEBHOOK,),
)
