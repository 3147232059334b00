-- Idempotency keys are scoped per action, and each row keeps a fingerprint of its request: the same
-- key names one create and, independently, one cancel; a key reused for another request is refused
-- (never answered with the first row as if it were done). Rows recorded before this migration have
-- no fingerprint (NULL): a reuse of their key for the same action returns them, as before.
alter table integrations.outbound add column if not exists request_fingerprint text;
alter table integrations.outbound drop constraint if exists outbound_connection_id_idempotency_key_key;
create unique index if not exists outbound_connection_action_key
    on integrations.outbound (connection_id, action, idempotency_key);

-- The provider's clock when the first attempt that may reach it began, read from the provider's
-- own answer to a call made before that attempt (its Date header). A retry looks for what an
-- earlier attempt may have created from this moment on the provider's clock, whatever ours says;
-- NULL: no attempt has reached the provider yet, so there is nothing to look for.
alter table integrations.outbound add column if not exists provider_started_at timestamptz;
-- Actions attempted before this migration whose retry may still look: the bound they had (our
-- clock at the first attempt less the two minutes the retries allowed for the clocks).
update integrations.outbound
set provider_started_at = attempt_started_at - interval '2 minutes'
where provider_started_at is null and attempt_started_at is not null
  and status in ('pending', 'sending', 'waiting_reauth');
