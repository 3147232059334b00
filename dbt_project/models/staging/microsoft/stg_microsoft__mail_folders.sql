-- One row per stored Outlook mail folder version (Graph mailFolder: id, displayName,
-- parentFolderId). A message's labels start with the displayName of its parentFolderId.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'outlook.mail_folder'

),

final as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id as folder_id,
        is_deleted,

        -- strings
        case when jsonb_typeof(payload -> 'displayName') = 'string' then payload ->> 'displayName' end
            as display_name,
        case when jsonb_typeof(payload -> 'parentFolderId') = 'string' then payload ->> 'parentFolderId' end
            as parent_folder_id

    from source

)

select * from final
