-- One row per stored QuickBooks Online invoice version (`quickbooks.invoice`: an Invoice entity as the
-- query and CDC answers carry it; external_id its Id, unique only within one company), typed:
-- TotalAmt and Balance (JSON numbers) as exact numeric, TxnDate / DueDate as dates, MetaData's ISO
-- times as timestamptz; the customer's Id (CustomerRef.value), the memo (PrivateNote: "Voided" on a
-- voided invoice, whose amounts QBO sets to 0) and the Ids of the payments applied to it
-- (LinkedTxn of type Payment). A deletion is CDC's tombstone (is_deleted). Pure function of each raw
-- row: callers filter on raw_id. A field of the wrong JSON type reads as missing; one that is
-- present but does not parse gives a quarantine reason instead of an error.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'quickbooks.invoice'

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
        {{ qbo_linked_ids("payload -> 'LinkedTxn'", 'Payment') }} as payment_refs,

        -- strings
        {{ qbo_string('payload', 'DocNumber') }} as doc_number,
        {{ qbo_string('payload', 'CustomerRef.name') }} as customer_name,
        {{ qbo_string('payload', 'PrivateNote') }} as private_note,
        {{ qbo_string('payload', 'EmailStatus') }} as email_status,
        upper({{ qbo_string('payload', 'CurrencyRef.value') }}) as currency,

        -- numerics
        {{ qbo_amount_text('payload', 'TotalAmt') }} as total_text,
        {{ qbo_amount('payload', 'TotalAmt') }} as total,
        {{ qbo_amount_text('payload', 'Balance') }} as balance_text,
        {{ qbo_amount('payload', 'Balance') }} as balance,

        -- dates and times as sent
        {{ qbo_string('payload', 'TxnDate') }} as issued_text,
        {{ qbo_string('payload', 'DueDate') }} as due_text,
        {{ qbo_string('payload', 'MetaData.CreateTime') }} as created_text,
        {{ qbo_string('payload', 'MetaData.LastUpdatedTime') }} as updated_text

    from source

),

typed as (

    select
        *,
        {{ qbo_date('issued_text') }} as issued_on,
        {{ qbo_date('due_text') }} as due_on,
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
        payment_refs,

        -- strings
        doc_number,
        customer_name,
        private_note,
        email_status,
        currency,

        -- numerics
        total,
        balance,

        -- dates
        issued_on,
        due_on,

        -- timestamps
        created_at,
        updated_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when qbo_id is null then 'missing Id'
            when qbo_id <> external_id then 'Id ' || left(qbo_id, 40) || ' differs from external_id'
            when issued_text is not null and issued_on is null then 'impossible TxnDate: ' || left(issued_text, 40)
            when due_text is not null and due_on is null then 'impossible DueDate: ' || left(due_text, 40)
            when created_text is not null and created_at is null
                then 'impossible MetaData.CreateTime: ' || left(created_text, 40)
            when updated_text is not null and updated_at is null
                then 'impossible MetaData.LastUpdatedTime: ' || left(updated_text, 40)
            when total_text is not null and total is null then 'impossible TotalAmt: ' || left(total_text, 40)
            when balance_text is not null and balance is null then 'impossible Balance: ' || left(balance_text, 40)
        end as quarantine_reason

    from typed

)

select * from final
