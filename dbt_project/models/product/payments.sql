{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='payment_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.payment_id in (
             select c.payment_id from {{ ref('int_payments_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.payment_id is not null)
           and not exists (select 1 from {{ ref('int_payments_unioned') }} as m
                           where m.payment_id = gone.payment_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['payment_id'], 'unique': True},
      {'columns': ['tenant_id', 'paid_on']},
      {'columns': ['customer_id']},
    ],
  )
}}
-- One row per payment received in a connected accounting company per tenant: payment_id = md5(tenant
-- | provider | company (QBO realm id) | provider id); customer_id and invoice_ids are the keys of
-- product.customers and product.invoices. Amounts are exact numerics (never float), the unapplied
-- remainder apart. Deleted at the provider: is_deleted, content kept. Each run rebuilds the payments
-- whose copy changed since its watermark; one no live connection holds any more, or whose newest
-- version is quarantined, is deleted by the post-hook.
with copies as (

    select * from {{ ref('int_payments_unioned') }}
    where payment_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where payment_id in (
        select changed.payment_id from {{ ref('int_payments_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected company's old copies are being removed): a
    -- live one first, then the newest
    select distinct on (payment_id) *
    from affected
    order by payment_id asc, is_deleted asc, content_raw_id desc

),

final as (

    select
        -- ids
        payment_id,
        tenant_id,
        connection_id,
        provider,
        external_id,
        customer_id,
        invoice_ids,

        -- the payment
        amount,
        unapplied_amount,
        currency,
        paid_on,
        is_deleted,

        -- timestamps
        created_at,
        updated_at,
        deleted_at

    from representative

)

select * from final
