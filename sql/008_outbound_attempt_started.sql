-- When the first attempt of an outbound action began (committed before the provider is called).
-- A provider without an idempotency key (Twilio's message create) looks, on a retry, for what an
-- earlier attempt may have created: created after this moment.
alter table integrations.outbound add column if not exists attempt_started_at timestamptz;
