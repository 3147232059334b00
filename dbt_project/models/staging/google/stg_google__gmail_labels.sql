-- One row per stored Gmail label record (`gmail.labels`: the format=minimal answer the sync stores
-- for a label-only change of a message it already holds, instead of another full copy). Pure
-- function of each raw row: callers filter on raw_id. The intermediate model takes a message's
-- labels from the newest (by historyId) of its full versions and these records.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'gmail.labels'

),

renamed as (

    select
        -- ids
        source.id as raw_id,
        source.connection_id,
        source.external_id,

        -- provider metadata
        case when jsonb_typeof(source.payload -> 'labelIds') = 'array'
             then array(select jsonb_array_elements_text(source.payload -> 'labelIds'))
             else '{}'::text[] end as labels,
        source.payload ->> 'historyId' as history_id

    from source

)

select * from renamed
