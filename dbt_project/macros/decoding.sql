{#- Small expression macros the models share. The SQL helper functions and the macros that call
    them are in sql_functions/, one file each. -#}

{#- A message header by (case-insensitive) name from a {lowercase name: first value} object,
    unfolded (CRLF before whitespace removed). -#}
{% macro header(headers_expr, name) -%}
    regexp_replace({{ headers_expr }} ->> '{{ name | lower }}', '\r?\n(?=[ \t])', '', 'g')
{%- endmacro %}

{#- Gmail headers [{name, value}] -> {lowercase name: first value}: the first occurrence wins,
    as with Python's msg[name]. -#}
{% macro header_map(headers_expr) -%}
    (select coalesce(jsonb_object_agg(name, value), '{}'::jsonb)
     from (select distinct on (lower(h ->> 'name')) lower(h ->> 'name') as name, h -> 'value' as value
           from jsonb_array_elements(case when jsonb_typeof({{ headers_expr }}) = 'array'
                                          then {{ headers_expr }} else '[]'::jsonb end)
                with ordinality as t(h, o)
           where h ->> 'name' is not null
           order by lower(h ->> 'name'), o) first_headers)
{%- endmacro %}

{#- A stable uuid from text parts (md5 of the parts joined by "|"). -#}
{% macro stable_uuid(parts) -%}
    md5({{ parts | join(" || '|' || ") }})::uuid
{%- endmacro %}

{#- The email's Message-ID key from a {lowercase name: value} header object: the Message-ID
    without angle brackets, else the header as it is, else `gmail:<provider id>`. -#}
{% macro gmail_email_key(headers_expr, provider_id_expr) -%}
    coalesce(
        substring({{ header(headers_expr, 'Message-ID') }} from '<([^>]+)>'),
        nullif(btrim({{ header(headers_expr, 'Message-ID') }}), ''),
        'gmail:' || ({{ provider_id_expr }})
    )
{%- endmacro %}
