{{ config(materialized='view') }}
-- Every phone call of every connected account, from every telephony provider, in one
-- provider-neutral column contract (_intermediate.yml): product.calls reads only this model. Each
-- provider's intermediate model keeps one row per call and connection; its branch here maps it to
-- the contract. A new telephony provider adds one branch.
with twilio as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        call_id,

        -- state of the call
        is_deleted,
        is_removed,
        quarantine_reason,

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

        -- timestamps
        started_at,
        ended_at,
        created_at,
        updated_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_twilio_calls_latest') }}

),

unioned as (

    select * from twilio

)

select * from unioned
