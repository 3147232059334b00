{{ config(materialized='view') }}
-- Every payment received in every connected accounting account, from every accounting provider, in
-- one provider-neutral column contract (_intermediate.yml): product.payments reads only this model.
-- Each provider's intermediate model keeps one row per payment and connection; its branch here maps
-- it to the contract. A new accounting provider adds one branch.
with quickbooks as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        payment_id,
        customer_id,

        -- state of the payment
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the payment
        amount,
        unapplied_amount,
        currency,
        paid_on,
        invoice_ids,

        -- timestamps
        created_at,
        updated_at,
        deleted_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_quickbooks_payments_latest') }}

),

unioned as (

    select * from quickbooks

)

select * from unioned
