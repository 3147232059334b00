{{ config(materialized='view') }}
-- Every customer of every connected accounting account, from every accounting provider, in one
-- provider-neutral column contract (_intermediate.yml): product.customers reads only this model.
-- Each provider's intermediate model keeps one row per customer and connection; its branch here
-- maps it to the contract. A new accounting provider adds one branch.
with quickbooks as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        customer_id,

        -- state of the customer
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the customer
        display_name,
        company_name,
        given_name,
        family_name,
        email,
        phone,
        phone_raw,
        mobile_phone,
        domain,
        web_address,
        balance,
        currency,
        is_active,

        -- timestamps
        created_at,
        updated_at,
        deleted_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_quickbooks_customers_latest') }}

),

unioned as (

    select * from quickbooks

)

select * from unioned
