{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='customer_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.customer_id in (
             select c.customer_id from {{ ref('int_customers_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.customer_id is not null)
           and not exists (select 1 from {{ ref('int_customers_unioned') }} as m
                           where m.customer_id = gone.customer_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['customer_id'], 'unique': True},
      {'columns': ['tenant_id', 'email']},
      {'columns': ['tenant_id', 'domain']},
      {'columns': ['tenant_id', 'phone']},
    ],
  )
}}
-- One row per customer of a connected accounting company per tenant: customer_id = md5(tenant |
-- provider | company (QBO realm id) | provider id), the key invoices and payments carry too. Email
-- in lower case, phone in E.164 (default region: var default_phone_region; phone_raw keeps what the
-- provider holds), domain from the web address or a company email, so customers join the CRM's
-- contacts and companies. Inactive customers stay (is_active false); deleted at the provider:
-- is_deleted, content kept. Each run rebuilds the customers whose copy changed since its watermark;
-- one no live connection holds any more, or whose newest version is quarantined, is deleted by the
-- post-hook.
with copies as (

    select * from {{ ref('int_customers_unioned') }}
    where customer_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where customer_id in (
        select changed.customer_id from {{ ref('int_customers_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected company's old copies are being removed): a
    -- live one first, then the newest
    select distinct on (customer_id) *
    from affected
    order by customer_id asc, is_deleted asc, content_raw_id desc

),

final as (

    select
        -- ids
        customer_id,
        tenant_id,
        connection_id,
        provider,
        external_id,

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
        is_deleted,

        -- timestamps
        created_at,
        updated_at,
        deleted_at

    from representative

)

select * from final
