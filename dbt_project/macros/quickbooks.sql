{#- QuickBooks Online's own encodings (the JSON of its query and CDC answers), shared by its models. -#}

{#- A dotted path ('PrimaryEmailAddr.Address') as the text[] literal of #> and #>>. -#}
{% macro qbo_path(path) -%}
    '{{ "{" ~ (path.split(".") | join(",")) ~ "}" }}'
{%- endmacro %}

{#- A string at a dotted path of the payload, as text; NULL when it is missing, null or of another
    JSON type. -#}
{% macro qbo_string(payload, path) -%}
    case when jsonb_typeof({{ payload }} #> {{ qbo_path(path) }}) = 'string' then {{ payload }} #>> {{ qbo_path(path) }} end
{%- endmacro %}

{#- An amount as sent: QBO writes money as a JSON number (12.5, 0); a string is read too (and must
    parse, see qbo_amount). NULL when it is missing, null, or of another JSON type. -#}
{% macro qbo_amount_text(payload, key) -%}
    case when jsonb_typeof({{ payload }} -> '{{ key }}') in ('number', 'string') then {{ payload }} ->> '{{ key }}' end
{%- endmacro %}

{#- An amount as numeric, cast from the JSON text so it is exact (0.1 stays 0.1: never through float8):
    a JSON number always casts; a string only when it is a decimal number. NULL otherwise (a string
    that is no number: the record is then quarantined). -#}
{% macro qbo_amount(payload, key) -%}
    case jsonb_typeof({{ payload }} -> '{{ key }}')
        when 'number' then ({{ payload }} ->> '{{ key }}')::numeric
        when 'string' then
            case when {{ payload }} ->> '{{ key }}' ~ '^\s*[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})\s*$'
                 then ({{ payload }} ->> '{{ key }}')::numeric end
    end
{%- endmacro %}

{#- A QBO date ("2026-11-26": TxnDate, DueDate) as date; NULL when it is not an existing ISO date.
    The pattern comes first because PostgreSQL's date input also takes words ('today', 'epoch'). -#}
{% macro qbo_date(expr) -%}
    case when {{ expr }} !~ '^\d{4}-\d{2}-\d{2}$' then null
         when {{ input_is_valid() }}({{ expr }}, 'date') then ({{ expr }})::date end
{%- endmacro %}

{#- A QBO time (MetaData's "2026-11-26T05:25:58-08:00": ISO 8601 in the company's zone, with its
    offset) as timestamptz; NULL when it does not parse or has no offset (it would otherwise be read
    in the database session's zone). -#}
{% macro qbo_time(expr) -%}
    case when {{ expr }} !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$' then null
         when {{ input_is_valid() }}({{ expr }}, 'timestamptz') then ({{ expr }})::timestamptz end
{%- endmacro %}

{#- The `TxnId`s of the LinkedTxn objects of type `txn_type` (Invoice, Payment) in `linked_arrays`
    (a set-returning expression giving LinkedTxn JSON arrays), each once, sorted; what is not an
    array, not an object or has no string TxnId is skipped. -#}
{% macro qbo_linked_ids(linked_arrays, txn_type) -%}
    array(
        select distinct linked_txn.value ->> 'TxnId'
        from (select {{ linked_arrays }} as list) as lists
        cross join lateral jsonb_array_elements(
            case when jsonb_typeof(lists.list) = 'array' then lists.list else '[]'::jsonb end
        ) as linked_txn (value)
        where jsonb_typeof(linked_txn.value -> 'TxnId') = 'string'
          and linked_txn.value ->> 'TxnType' = '{{ txn_type }}'
        order by 1
    )
{%- endmacro %}

{#- A QuickBooks product key: md5(tenant | quickbooks | realm id | QBO Id) as uuid. Ids are unique only
    within one company (realm), so the realm is part of the key: two companies of one tenant never
    collide. A customer's key from an invoice's or payment's CustomerRef is the same expression. -#}
{% macro qbo_key(tenant_id, realm_id, qbo_id) -%}
    {{ stable_uuid([tenant_id ~ '::text', "'quickbooks'", realm_id, qbo_id]) }}
{%- endmacro %}

{#- An array of QBO Ids of one realm as their product keys (qbo_key), each once, sorted. -#}
{% macro qbo_keys(tenant_id, realm_id, ids) -%}
    array(
        select distinct {{ qbo_key(tenant_id, realm_id, 'listed.qbo_id') }}
        from unnest({{ ids }}) as listed (qbo_id)
        order by 1
    )
{%- endmacro %}
