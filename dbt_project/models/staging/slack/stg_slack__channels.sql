-- One row per stored Slack conversation version (`slack.channel`: the conversation object as
-- conversations.list / conversations.info return it; external_id the channel id): its name and
-- kind. A message's channel_name and `<#C123>` mentions without a label are looked up here.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.channel'

),

final as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id as channel_id,
        is_deleted,

        -- strings
        case when jsonb_typeof(payload -> 'name') = 'string' then nullif(payload ->> 'name', '') end as name,

        -- flags
        coalesce(payload ->> 'is_private' = 'true', false) as is_private,
        coalesce(payload ->> 'is_archived' = 'true', false) as is_archived,
        coalesce(payload ->> 'is_im' = 'true', false) as is_im,
        coalesce(payload ->> 'is_mpim' = 'true', false) as is_mpim

    from source

)

select * from final
