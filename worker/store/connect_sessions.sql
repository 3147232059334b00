-- name: insert
insert into integrations.connect_sessions (session_hash, state_nonce, provider, consent_url, expires_at)
values (%(session_hash)s, %(state_nonce)s, %(provider)s, %(consent_url)s,
        now() + make_interval(secs => %(ttl_seconds)s))
returning expires_at

-- name: redeem
-- The session's one use, by the browser whose cookie hash it binds its state to.
with redeemed as (
    update integrations.connect_sessions
    set redeemed_at = now()
    where session_hash = %(session_hash)s and provider = %(provider)s
      and redeemed_at is null and expires_at > now()
    returning state_nonce, consent_url
), bound as (
    update integrations.oauth_states s
    set browser_hash = %(browser_hash)s
    from redeemed
    where s.nonce = redeemed.state_nonce
    returning s.nonce
)
select redeemed.consent_url from redeemed join bound on bound.nonce = redeemed.state_nonce

-- name: why_not
-- Why a session could not be redeemed (no row: never ours, or not for this provider).
select redeemed_at is not null as used, expires_at <= now() as expired
from integrations.connect_sessions
where session_hash = %(session_hash)s and provider = %(provider)s
