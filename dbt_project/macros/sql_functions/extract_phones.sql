{#- Phone numbers in a text, normalized to "+" and digits (7 to 15 digits).
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_extract_phones_function(schema) %}
create or replace function {{ schema }}.extract_phones(value text) returns text[]
language sql immutable parallel safe as $fn$
    select coalesce(array_agg(phone order by first_ord), '{}')
    from (
        select phone, min(o) as first_ord
        from (
            select regexp_replace(m[1], '[^0-9+]', '', 'g') as phone, o
            from regexp_matches(coalesce(value, ''), '(\+?\(?\d[\d\s().\-]{5,}\d)', 'g') with ordinality as t(m, o)
        ) found
        where length(regexp_replace(phone, '\D', '', 'g')) between 7 and 15
        group by phone
    ) phones
$fn$;
{% endmacro %}

{#- How models call it: {{ extract_phones(...) }} -#}
{% macro extract_phones(expr) -%} {{ var('normalize_schema') }}.extract_phones({{ expr }}) {%- endmacro %}
