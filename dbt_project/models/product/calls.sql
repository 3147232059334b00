{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='call_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.call_id in (
             select c.call_id from {{ ref('int_calls_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.call_id is not null)
           and not exists (select 1 from {{ ref('int_calls_unioned') }} as m
                           where m.call_id = gone.call_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['call_id'], 'unique': True},
      {'columns': ['tenant_id', 'started_at']},
      {'columns': ['tenant_id', 'from_number']},
      {'columns': ['tenant_id', 'to_number']},
    ],
  )
}}
-- One row per phone call per tenant: call_id = md5(tenant | provider | provider id). Numbers in
-- E.164 (default region: var default_phone_region); direction inbound / outbound; start, end and
-- duration in seconds of the newest version. Deleted at the provider: is_deleted. Each run rebuilds
-- the calls whose copy changed since its watermark; one no live connection holds any more, or
-- whose newest version is quarantined, is deleted by the post-hook.
with copies as (

    select * from {{ ref('int_calls_unioned') }}
    where call_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where call_id in (
        select changed.call_id from {{ ref('int_calls_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected account's old copies are being removed): a
    -- live one first, then the newest
    select distinct on (call_id) *
    from affected
    order by call_id asc, is_deleted asc, content_raw_id desc

),

final as (

    select
        -- ids
        call_id,
        tenant_id,
        connection_id,
        provider,
        external_id,

        -- the call
        direction,
        from_number,
        to_number,
        from_address,
        to_address,
        status,
        duration_seconds,
        price,
        price_unit,
        is_deleted,

        -- timestamps
        started_at,
        ended_at,
        created_at,
        updated_at

    from representative

)

select * from final
