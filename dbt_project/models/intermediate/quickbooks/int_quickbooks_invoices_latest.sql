{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['invoices']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['invoice_id']},
    ],
  )
}}
-- The current state of every QuickBooks Online invoice of every connected company, one row per
-- connection + invoice Id, in the columns of int_invoices_unioned plus head_raw_id and QBO's own
-- fields. Incremental on raw_records.txid like int_quickbooks_customers_latest (an invoice's Balance
-- changes with every payment applied to it, so CDC re-reads it); CDC's tombstone keeps the content
-- of the last live version and sets is_deleted; an object whose raw rows were deleted becomes a
-- removal marker keeping its invoice_id.
--
-- invoice_id: md5(tenant | quickbooks | realm id | Id); customer_id the same from CustomerRef.value,
-- so it joins product.customers; payment_ids likewise from the LinkedTxn of type Payment. is_voided:
-- QBO keeps a voided invoice with TotalAmt and Balance 0 and the memo "Voided". The status (open,
-- overdue, ...) depends on the day and is decided by product.invoices.
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'quickbooks.invoice'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('quickbooks.invoice') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_raw', 'quickbooks.invoice') }}

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
        case when versions.head_raw_id is null then known.invoice_id else {{ new_id }} end as invoice_id,
        {% else %}
        {{ new_id }} as invoice_id,
        {% endif %}

        -- state of the invoice
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            when decoded.quarantine_reason is not null then decoded.quarantine_reason
            when decoded.raw_id is not null and connections.account_id is null then 'no connection (realm id)'
        end as quarantine_reason,

        -- the invoice
        case when connections.account_id is not null and decoded.customer_ref is not null
             then {{ qbo_key('decoded.tenant_id', 'connections.account_id', 'decoded.customer_ref') }} end
            as customer_id,
        decoded.customer_ref as customer_external_id,
        decoded.doc_number,
        decoded.issued_on,
        decoded.due_on,
        decoded.total,
        decoded.balance,
        decoded.currency,
        coalesce(decoded.private_note ~* '^\s*voided\M' and decoded.total = 0 and decoded.balance = 0, false)
            as is_voided,
        {{ qbo_keys('decoded.tenant_id', 'connections.account_id', 'decoded.payment_refs') }} as payment_ids,

        -- timestamps
        decoded.created_at,
        coalesce(tombstone.updated_at, decoded.updated_at) as updated_at,
        tombstone.updated_at as deleted_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- QBO's own
        decoded.sync_token,
        decoded.private_note,
        decoded.email_status

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    -- an index look-up per object, never a join between sets whose size the planner guesses (right
    -- after a large backfill raw_records has no statistics)
    left join lateral (
        select decoded_version.* from {{ ref('stg_quickbooks__invoices') }} as decoded_version
        where decoded_version.raw_id = versions.content_raw_id
    ) as decoded on true
    left join lateral (
        select deletion.updated_at from {{ ref('stg_quickbooks__invoices') }} as deletion
        where deletion.raw_id = versions.head_raw_id and deletion.is_deleted
    ) as tombstone on true
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
