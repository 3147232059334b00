-- One row per stored QuickBooks Online payment version (`quickbooks.payment`: a Payment entity as the
-- query and CDC answers carry it; external_id its Id, unique only within one company), typed:
-- TotalAmt and UnappliedAmt (JSON numbers) as exact numeric, TxnDate as a date, MetaData's ISO times
-- as timestamptz; the customer's Id (CustomerRef.value) and the Ids of the invoices it pays
-- (Line[].LinkedTxn of type Invoice). A deletion is CDC's tombstone (is_deleted). Pure function of
-- each raw row: callers filter on raw_id. A field of the wrong JSON type reads as missing; one that
-- is present but does not parse gives a quarantine reason instead of an error.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'quickbooks.payment'

),

renamed as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        jsonb_typeof(payload) = 'object' as is_object,
        {{ qbo_string('payload', 'Id') }} as qbo_id,
        {{ qbo_string('payload', 'SyncToken') }} as sync_token,
        nullif({{ qbo_string('payload', 'CustomerRef.value') }}, '') as customer_ref,
        -- every Line's LinkedTxn (a payment applied to several invoices has one line each)
        {{ qbo_linked_ids("jsonb_array_elements(case when jsonb_typeof(payload -> 'Line') = 'array'"
                          " then payload -> 'Line' else '[]'::jsonb end) -> 'LinkedTxn'", 'Invoice') }}
            as invoice_refs,

        -- strings
        {{ qbo_string('payload', 'PaymentRefNum') }} as reference_number,
        {{ qbo_string('payload', 'PrivateNote') }} as private_note,
        upper({{ qbo_string('payload', 'CurrencyRef.value') }}) as currency,

        -- numerics
        {{ qbo_amount_text('payload', 'TotalAmt') }} as total_text,
        {{ qbo_amount('payload', 'TotalAmt') }} as amount,
        {{ qbo_amount_text('payload', 'UnappliedAmt') }} as unapplied_text,
        {{ qbo_amount('payload', 'UnappliedAmt') }} as unapplied_amount,

        -- dates and times as sent
        {{ qbo_string('payload', 'TxnDate') }} as paid_text,
        {{ qbo_string('payload', 'MetaData.CreateTime') }} as created_text,
        {{ qbo_string('payload', 'MetaData.LastUpdatedTime') }} as updated_text

    from source

),

typed as (

    select
        *,
        {{ qbo_date('paid_text') }} as paid_on,
        {{ qbo_time('created_text') }} as created_at,
        {{ qbo_time('updated_text') }} as updated_at
    from renamed

),

final as (

    select
        -- ids
        raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        qbo_id,
        sync_token,
        customer_ref,
        invoice_refs,

        -- strings
        reference_number,
        private_note,
        currency,

        -- numerics
        amount,
        unapplied_amount,

        -- dates
        paid_on,

        -- timestamps
        created_at,
        updated_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when qbo_id is null then 'missing Id'
            when qbo_id <> external_id then 'Id ' || left(qbo_id, 40) || ' differs from external_id'
            when paid_text is not null and paid_on is null then 'impossible TxnDate: ' || left(paid_text, 40)
            when created_text is not null and created_at is null
                then 'impossible MetaData.CreateTime: ' || left(created_text, 40)
            when updated_text is not null and updated_at is null
                then 'impossible MetaData.LastUpdatedTime: ' || left(updated_text, 40)
            when total_text is not null and amount is null then 'impossible TotalAmt: ' || left(total_text, 40)
            when unapplied_text is not null and unapplied_amount is null
                then 'impossible UnappliedAmt: ' || left(unapplied_text, 40)
        end as quarantine_reason

    from typed

)

select * from final
