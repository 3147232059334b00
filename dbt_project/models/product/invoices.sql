{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='invoice_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.invoice_id in (
             select c.invoice_id from {{ ref('int_invoices_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.invoice_id is not null)
           and not exists (select 1 from {{ ref('int_invoices_unioned') }} as m
                           where m.invoice_id = gone.invoice_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['invoice_id'], 'unique': True},
      {'columns': ['tenant_id', 'issued_on']},
      {'columns': ['customer_id']},
      {'columns': ['is_past_due', 'past_due_on']},
    ],
  )
}}
-- One row per invoice of a connected accounting company per tenant: invoice_id = md5(tenant |
-- provider | company (QBO realm id) | provider id); customer_id and payment_ids are the keys of
-- product.customers and product.payments. Amounts are exact numerics (never float).
--
-- status, in this order: voided (QBO keeps a voided invoice, total and balance 0, memo "Voided");
-- paid (balance 0, total > 0); partially_paid (0 < balance < total); overdue (balance > 0 and the
-- due date before today); open otherwise. is_past_due says a balance is due since past_due_on (the
-- day after the due date), whatever the status, so a late partially paid invoice shows too.
--
-- "Today" is the database's current_date (var as_of_date to build as of another day), so a row can
-- go stale without any change at the provider: each run rebuilds the invoices whose copy changed
-- since its watermark AND those whose past_due_on has come (or, building as of an earlier day, not
-- yet come) -- an index range on (is_past_due, past_due_on). Deleted at the provider: is_deleted,
-- content kept. One no live connection holds any more, or whose newest version is quarantined, is
-- deleted by the post-hook.
with copies as (

    select * from {{ ref('int_invoices_unioned') }}
    where invoice_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where invoice_id in (
        select changed.invoice_id from {{ ref('int_invoices_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
        union
        -- the calendar moved since they were built: their status depends on the day
        select stale.invoice_id from {{ this }} as stale
        where (not stale.is_past_due and stale.past_due_on <= {{ as_of_date() }})
           or (stale.is_past_due and stale.past_due_on > {{ as_of_date() }})
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected company's old copies are being removed): a
    -- live one first, then the newest
    select distinct on (invoice_id) *
    from affected
    order by invoice_id asc, is_deleted asc, content_raw_id desc

),

dated as (

    select
        *,
        -- the first day a balance is late; NULL for what nothing is owed on
        case when balance > 0 and not is_voided then due_on + 1 end as past_due_on
    from representative

),

final as (

    select
        -- ids
        invoice_id,
        tenant_id,
        connection_id,
        provider,
        external_id,
        customer_id,
        payment_ids,

        -- the invoice
        doc_number,
        issued_on,
        due_on,
        total,
        balance,
        total - balance as amount_paid,
        currency,
        case
            when is_voided then 'voided'
            when balance = 0 and total > 0 then 'paid'
            when balance > 0 and balance < total then 'partially_paid'
            when balance > 0 and due_on < {{ as_of_date() }} then 'overdue'
            else 'open'
        end as status,
        coalesce(past_due_on <= {{ as_of_date() }}, false) as is_past_due,
        past_due_on,
        is_deleted,

        -- timestamps
        created_at,
        updated_at,
        deleted_at

    from dated

)

select * from final
