-- One row per stored Slack user version (`slack.user`: the user object as users.list / users.info
-- return it; external_id the user id): names, the profile email (missing without the
-- users:read.email scope, or for bots), and whether the user is a bot or deactivated. A message's
-- author and its `<@U123>` mentions are looked up here.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.user'

),

final as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id as user_id,
        is_deleted,
        case when jsonb_typeof(payload -> 'team_id') = 'string' then payload ->> 'team_id' end as team_id,

        -- strings
        case when jsonb_typeof(payload -> 'name') = 'string' then nullif(payload ->> 'name', '') end as name,
        case when jsonb_typeof(payload -> 'real_name') = 'string' then nullif(payload ->> 'real_name', '') end
            as real_name,
        case when jsonb_typeof(payload -> 'profile' -> 'display_name') = 'string'
             then nullif(btrim(payload -> 'profile' ->> 'display_name'), '') end as profile_display_name,
        case when jsonb_typeof(payload -> 'profile' -> 'real_name') = 'string'
             then nullif(btrim(payload -> 'profile' ->> 'real_name'), '') end as profile_real_name,
        case when jsonb_typeof(payload -> 'profile' -> 'email') = 'string'
             then nullif(btrim(payload -> 'profile' ->> 'email'), '') end as email,

        -- flags
        coalesce(payload ->> 'is_bot' = 'true', false) as is_bot,
        coalesce(payload ->> 'deleted' = 'true', false) as is_deactivated

    from source

)

select * from final
