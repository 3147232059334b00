-- A send whose grant was revoked waits visibly for a reconnect instead of staying `sending`
-- forever: `waiting_reauth` with the reason in last_error. Reconnecting queues it again; a
-- request Google refuses for good ends `failed` with the reason the CRM can show.
alter table integrations.outbound drop constraint if exists outbound_status_check;
alter table integrations.outbound add constraint outbound_status_check
    check (status in ('pending', 'sending', 'waiting_reauth', 'done', 'failed'));
create index if not exists outbound_waiting_idx on integrations.outbound (connection_id)
    where status = 'waiting_reauth';
