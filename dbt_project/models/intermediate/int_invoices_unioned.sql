{{ config(materialized='view') }}
-- Every invoice of every connected accounting account, from every accounting provider, in one
-- provider-neutral column contract (_intermediate.yml): product.invoices reads only this model. Each
-- provider's intermediate model keeps one row per invoice and connection; its branch here maps it
-- to the contract. A new accounting provider adds one branch.
with quickbooks as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        invoice_id,
        customer_id,

        -- state of the invoice
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the invoice
        doc_number,
        issued_on,
        due_on,
        total,
        balance,
        currency,
        is_voided,
        payment_ids,

        -- timestamps
        created_at,
        updated_at,
        deleted_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_quickbooks_invoices_latest') }}

),

unioned as (

    select * from quickbooks

)

select * from unioned
