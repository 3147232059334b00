-- One row per stored QuickBooks Online customer version (`quickbooks.customer`: a Customer entity as
-- the query and CDC answers carry it; external_id its Id, unique only within one company), typed:
-- Balance (a JSON number) as exact numeric, MetaData's ISO times with their offset as timestamptz,
-- Active as a boolean; names, email, phone and web address as QBO writes them
-- (int_quickbooks_customers_latest derives email, E.164 phone and domain). A deletion is CDC's
-- tombstone (`{"Id", "status": "Deleted", "MetaData": {"LastUpdatedTime"}}`, is_deleted). Pure
-- function of each raw row: callers filter on raw_id. A field of the wrong JSON type reads as
-- missing; one that is present but does not parse gives a quarantine reason instead of an error.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'quickbooks.customer'

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

        -- strings
        nullif({{ qbo_string('payload', 'DisplayName') }}, '') as display_name,
        nullif({{ qbo_string('payload', 'CompanyName') }}, '') as company_name,
        nullif({{ qbo_string('payload', 'GivenName') }}, '') as given_name,
        nullif({{ qbo_string('payload', 'FamilyName') }}, '') as family_name,
        nullif({{ qbo_string('payload', 'PrimaryEmailAddr.Address') }}, '') as email_text,
        nullif({{ qbo_string('payload', 'PrimaryPhone.FreeFormNumber') }}, '') as phone_text,
        nullif({{ qbo_string('payload', 'Mobile.FreeFormNumber') }}, '') as mobile_text,
        nullif({{ qbo_string('payload', 'WebAddr.URI') }}, '') as web_address,
        upper({{ qbo_string('payload', 'CurrencyRef.value') }}) as currency,
        case when jsonb_typeof(payload -> 'Active') = 'boolean' then (payload ->> 'Active')::boolean end as is_active,

        -- numerics
        {{ qbo_amount_text('payload', 'Balance') }} as balance_text,
        {{ qbo_amount('payload', 'Balance') }} as balance,

        -- times as sent
        {{ qbo_string('payload', 'MetaData.CreateTime') }} as created_text,
        {{ qbo_string('payload', 'MetaData.LastUpdatedTime') }} as updated_text

    from source

),

typed as (

    select
        *,
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

        -- strings
        display_name,
        company_name,
        given_name,
        family_name,
        email_text,
        phone_text,
        mobile_text,
        web_address,
        currency,
        is_active,

        -- numerics
        balance,

        -- timestamps
        created_at,
        updated_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when qbo_id is null then 'missing Id'
            when qbo_id <> external_id then 'Id ' || left(qbo_id, 40) || ' differs from external_id'
            when created_text is not null and created_at is null
                then 'impossible MetaData.CreateTime: ' || left(created_text, 40)
            when updated_text is not null and updated_at is null
                then 'impossible MetaData.LastUpdatedTime: ' || left(updated_text, 40)
            when balance_text is not null and balance is null then 'impossible Balance: ' || left(balance_text, 40)
        end as quarantine_reason

    from typed

)

select * from final
