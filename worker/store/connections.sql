-- name: insert
insert into integrations.connections
    (tenant_id, profile_id, provider, ownership, account_id, capabilities, settings)
values (%(tenant_id)s, %(profile_id)s, %(provider)s, %(ownership)s, %(account_id)s, %(capabilities)s, %(settings)s)
returning *

-- name: get
select * from integrations.connections where id = %(id)s

-- name: get_for_update
select * from integrations.connections where id = %(id)s for update

-- name: list
select * from integrations.connections
where (%(tenant_id)s::uuid is null or tenant_id = %(tenant_id)s)
order by tenant_id, created_at, id

-- name: find_owner_account
-- Account ids compare case-insensitively: a mailbox typed `Ana@Tenant.Example` before addresses were
-- canonicalized is the same account as `ana@tenant.example` (other providers' ids differ by more than case).
select * from integrations.connections
where tenant_id = %(tenant_id)s and profile_id is not distinct from %(profile_id)s
  and provider = %(provider)s and lower(account_id) = lower(%(account_id)s)
order by account_id = %(account_id)s desc, created_at

-- name: set_capabilities
update integrations.connections
set capabilities = %(capabilities)s, settings = %(settings)s, updated_at = now()
where id = %(id)s
returning *

-- name: set_credentials
update integrations.connections
set credentials = %(credentials)s, credentials_key_id = %(key_id)s,
    granted_scopes = %(granted_scopes)s, updated_at = now()
where id = %(id)s

-- name: credentials_for_update
-- A token refresh re-reads the stored grant under the row lock before writing (compare-and-swap).
select credentials from integrations.connections where id = %(id)s for update

-- name: set_refreshed_credentials
-- A refresh writes only the credentials blob: granted scopes belong to the consent, never to a refresh.
update integrations.connections
set credentials = %(credentials)s, credentials_key_id = %(key_id)s, updated_at = now()
where id = %(id)s

-- name: set_status
update integrations.connections
set status = %(status)s, status_reason = %(reason)s, updated_at = now()
where id = %(id)s

-- name: delete
delete from integrations.connections where id = %(id)s returning id

-- name: same_account_elsewhere
-- Another connection holding the same provider account (revoking would end its grant too).
select id from integrations.connections
where provider = %(provider)s and lower(account_id) = lower(%(account_id)s) and id <> %(id)s
  and credentials is not null
order by created_at, id
limit 1

-- name: holders_of_account
-- Any connection holding credentials for a provider account.
select id from integrations.connections
where provider = %(provider)s and lower(account_id) = lower(%(account_id)s) and credentials is not null
limit 1

-- name: all_credentials
select id, credentials from integrations.connections where credentials is not null order by id for update

-- name: upsert_capability_state
insert into integrations.sync_state (connection_id, capability, stream, status)
values (%(connection_id)s, %(capability)s, '', %(status)s)
on conflict (connection_id, capability, stream) do update
    set status = excluded.status, updated_at = now()

-- name: capability_states
select capability, stream, status, cursor, last_success_at, last_error, consecutive_failures, next_run_at
from integrations.sync_state where connection_id = %(id)s order by capability, stream

-- name: ensure_provider
-- The registry is the one list of providers: a registered provider's row (its ownership, which
-- the connections' owner constraint follows) is added on its first connection.
insert into integrations.providers (provider, ownership)
values (%(provider)s, %(ownership)s)
on conflict (provider) do nothing

-- name: capability_status
select status from integrations.sync_state
where connection_id = %(connection_id)s and capability = %(capability)s and stream = ''
