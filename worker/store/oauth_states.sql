-- name: insert
-- A consent handed out; states expired for an hour are forgotten on the way (a callback that late
-- is answered as a used state, which it may as well be).
with forgotten as (
    delete from integrations.oauth_states
    where expires_at < now() - interval '1 hour'
)
insert into integrations.oauth_states
    (nonce, provider, tenant_id, profile_id, account_hint, capabilities, scopes, return_to, secret, expires_at)
values
    (%(nonce)s, %(provider)s, %(tenant_id)s, %(profile_id)s, %(account_hint)s, %(capabilities)s, %(scopes)s,
     %(return_to)s, %(secret)s, now() + make_interval(secs => %(ttl_seconds)s))

-- name: take
-- The state's one use: the row is deleted as it is read, so a second callback finds nothing.
delete from integrations.oauth_states
where nonce = %(nonce)s and provider = %(provider)s
returning tenant_id, profile_id, account_hint, capabilities, scopes, return_to, secret,
          expires_at <= now() as expired

-- name: binding
-- The browser a pending state is bound to, locked until the callback takes or burns it.
select browser_hash from integrations.oauth_states
where nonce = %(nonce)s and provider = %(provider)s
for update

-- name: burn
-- A callback from a browser the state is not bound to: the state (and its code) is good for nothing now.
delete from integrations.oauth_states where nonce = %(nonce)s and provider = %(provider)s
