-- name: connections_of_account
-- Every connection of a provider account (a Slack team, a Twilio account SID, a mailbox), whichever
-- tenant holds it: each is notified on its own. Case-insensitive: Gmail names a mailbox in lower
-- case, a connection may hold it as typed (connections_provider_lower_account_idx).
select id, tenant_id, provider, account_id, capabilities, status, credentials
from integrations.connections
where provider = %(provider)s and lower(account_id) = lower(%(account_id)s)
order by id

-- name: claim_delivery
-- The first arrival of a delivery id returns a row; a retry of it returns none. Ids older than a
-- day are forgotten on the way (providers retry within minutes).
with forgotten as (
    delete from integrations.push_deliveries
    where received_at < now() - interval '1 day'
)
insert into integrations.push_deliveries (provider, delivery_id)
values (%(provider)s, %(delivery_id)s)
on conflict do nothing
returning delivery_id

-- name: release_delivery
-- A delivery that could not be handled is forgotten, so the provider's retry is handled.
delete from integrations.push_deliveries where provider = %(provider)s and delivery_id = %(delivery_id)s

-- name: record_received
insert into integrations.push_received as p (connection_id, capability)
values (%(connection_id)s, %(capability)s)
on conflict (connection_id, capability) do update
set last_received_at = now(), notifications = p.notifications + 1

-- name: received
select connection_id, capability, first_received_at, last_received_at, notifications
from integrations.push_received
where (%(connection_id)s::uuid is null or connection_id = %(connection_id)s)
