{#- Quoted-printable as used by RFC 2047 "Q" words ("_" is a space) -> bytes.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_q_decode_function(schema) %}
create or replace function {{ schema }}.q_decode(data text) returns bytea
language sql immutable parallel safe as $fn$
    select coalesce(decode(string_agg(
        case when m[1] ~ '^=[0-9A-Fa-f]{2}$' then substr(m[1], 2)
             else encode(convert_to(replace(m[1], '_', ' '), 'UTF8'), 'hex') end,
        '' order by o), 'hex'), ''::bytea)
    from regexp_matches(data, '(=[0-9A-Fa-f]{2}|[^=]+|=)', 'g') with ordinality as t(m, o)
$fn$;
{% endmacro %}
