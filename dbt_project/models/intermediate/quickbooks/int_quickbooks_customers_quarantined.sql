{{ config(materialized='view', tags=['quarantine']) }}
-- QuickBooks customers the SQL could not use, in the quarantine column contract (_quarantine.yml):
-- normalize_quarantine unions every model tagged `quarantine`. A newer good version clears it.
with customers as (

    select * from {{ ref('int_quickbooks_customers_latest') }}

),

final as (

    select
        coalesce(content_raw_id, head_raw_id) as raw_id,
        connection_id,
        tenant_id,
        'quickbooks.customer'::text as resource_type,
        external_id,
        quarantine_reason as reason
    from customers
    where quarantine_reason is not null

)

select * from final
