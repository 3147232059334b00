-- name: wanted_gmail
-- Active Google connections with the live inbox sync enabled: each should hold a Gmail watch.
select c.id, c.account_id, w.expires_at, w.renewed_at
from integrations.connections c
left join integrations.push_watches w
    on w.connection_id = c.id and w.capability = 'sync_inbox_live' and w.resource = ''
where c.provider = 'google' and c.status = 'active' and 'sync_inbox_live' = any(c.capabilities)
order by c.id

-- name: unwanted
-- A provider's watches whose capability is no longer enabled or whose connection is not active:
-- to be stopped.
select w.connection_id, w.capability, w.resource, w.channel_id, w.resource_id
from integrations.push_watches w
join integrations.connections c on c.id = w.connection_id
where c.provider = %(provider)s and w.capability = %(capability)s
  and (c.status <> 'active' or not w.capability = any(c.capabilities))
order by w.connection_id, w.resource

-- name: upsert
insert into integrations.push_watches as w (connection_id, capability, resource, channel_id, resource_id,
                                            token_hash, expires_at, renewed_at)
values (%(connection_id)s, %(capability)s, %(resource)s, %(channel_id)s, %(resource_id)s, %(token_hash)s,
        %(expires_at)s, %(now)s)
on conflict (connection_id, capability, resource) do update
set channel_id = excluded.channel_id, resource_id = excluded.resource_id, token_hash = excluded.token_hash,
    expires_at = excluded.expires_at, renewed_at = excluded.renewed_at

-- name: delete
delete from integrations.push_watches
where connection_id = %(connection_id)s and capability = %(capability)s and resource = %(resource)s

-- name: of_connection
select capability, resource, channel_id, resource_id, expires_at, renewed_at
from integrations.push_watches where connection_id = %(connection_id)s order by capability, resource

-- name: wanted
-- Active Google connections with `capability` enabled, and their settings (which calendars).
select c.id, c.account_id, c.settings
from integrations.connections c
where c.provider = 'google' and c.status = 'active' and %(capability)s = any(c.capabilities)
order by c.id

-- name: by_channel
-- A Calendar notification names its channel: the channel's connection and what verifies it.
select w.connection_id, w.capability, w.resource, w.resource_id, w.token_hash, c.account_id, c.provider
from integrations.push_watches w
join integrations.connections c on c.id = w.connection_id
where w.channel_id = %(channel_id)s

-- name: by_channels
-- A Graph delivery's subscriptions, one query for all its items: each one's connection and what verifies it.
select w.channel_id, w.connection_id, w.capability, w.resource, w.resource_id, w.token_hash, c.account_id, c.provider
from integrations.push_watches w
join integrations.connections c on c.id = w.connection_id
where w.channel_id = any(%(channel_ids)s::text[])

-- name: wanted_subscriptions
-- Active connections of a provider with `capability` enabled, and the subscription each holds for
-- `resource` (none yet: null channel_id).
select c.id, c.account_id, w.channel_id, w.expires_at, w.renewed_at
from integrations.connections c
left join integrations.push_watches w
    on w.connection_id = c.id and w.capability = %(capability)s and w.resource = %(resource)s
where c.provider = %(provider)s and c.status = 'active' and %(capability)s = any(c.capabilities)
order by c.id


-- name: renewed
-- A subscription renewed in place (same id, same secret): only its expiry moves.
update integrations.push_watches
set expires_at = %(expires_at)s, renewed_at = %(now)s
where connection_id = %(connection_id)s and capability = %(capability)s and resource = %(resource)s
