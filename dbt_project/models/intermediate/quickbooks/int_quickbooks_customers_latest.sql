{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['customers']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['customer_id']},
    ],
  )
}}
-- The current state of every QuickBooks Online customer of every connected company, one row per
-- connection + customer Id, in the columns of int_customers_unioned plus head_raw_id and QBO's own
-- fields. Incremental on raw_records.txid like the Twilio models: a changed customer is rebuilt from
-- its newest version; CDC's tombstone keeps the content of the last live version and sets is_deleted
-- (deleted_at: the tombstone's time); an object whose raw rows were deleted (its connection was)
-- becomes a removal marker keeping its customer_id.
--
-- customer_id: md5(tenant | quickbooks | realm id | Id) -- the realm is the connection's account_id,
-- as Ids are unique only within one company. email: the first address, lower case; phone: E.164 in
-- the default region (var default_phone_region), NULL when it is no phone number (phone_raw keeps
-- what QBO holds); domain: the web address's host without www., else the email's domain unless it
-- is free mail (macros/domains.sql). An inactive customer (QBO's "deleted" for names) stays, with
-- is_active false.
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'quickbooks.customer'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('quickbooks.customer') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_raw', 'quickbooks.customer') }}

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'quickbooks'::text as provider,
        versions.connection_id,
        coalesce(decoded.tenant_id, connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %})
            as tenant_id,
        coalesce(connections.account_id{% if is_incremental() %}, known.realm_id{% endif %}) as realm_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% set new_id = "case when decoded.raw_id is not null and connections.account_id is not null then "
                         ~ qbo_key('decoded.tenant_id', 'connections.account_id', 'decoded.external_id') ~ " end" %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.customer_id else {{ new_id }} end as customer_id,
        {% else %}
        {{ new_id }} as customer_id,
        {% endif %}

        -- state of the customer
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            when decoded.quarantine_reason is not null then decoded.quarantine_reason
            when decoded.raw_id is not null and connections.account_id is null then 'no connection (realm id)'
        end as quarantine_reason,

        -- the customer
        decoded.display_name,
        decoded.company_name,
        decoded.given_name,
        decoded.family_name,
        {{ first_email_address('decoded.email_text') }} as email,
        {{ to_e164('decoded.phone_text') }} as phone,
        decoded.phone_text as phone_raw,
        {{ to_e164('decoded.mobile_text') }} as mobile_phone,
        {{ company_domain('decoded.web_address', first_email_address('decoded.email_text')) }} as domain,
        decoded.web_address,
        decoded.balance,
        decoded.currency,
        -- QBO fills Active on every customer; one without it counts as active (QBO's default)
        coalesce(decoded.is_active, true) as is_active,

        -- timestamps
        decoded.created_at,
        coalesce(tombstone.updated_at, decoded.updated_at) as updated_at,
        tombstone.updated_at as deleted_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- QBO's own
        decoded.sync_token

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    -- an index look-up per object, never a join between sets whose size the planner guesses (right
    -- after a large backfill raw_records has no statistics)
    left join lateral (
        select decoded_version.* from {{ ref('stg_quickbooks__customers') }} as decoded_version
        where decoded_version.raw_id = versions.content_raw_id
    ) as decoded on true
    left join lateral (
        select deletion.updated_at from {{ ref('stg_quickbooks__customers') }} as deletion
        where deletion.raw_id = versions.head_raw_id and deletion.is_deleted
    ) as tombstone on true
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
