{#- See _sql_functions.yml. -#}
{% macro create_base64url_decode_function(schema) %}
create or replace function {{ schema }}.base64url_decode(data text) returns bytea
language sql immutable parallel safe as $fn$
    select case when {{ schema }}.base64url_is_valid(data) then
        decode(rpad(translate(rtrim(data, '='), '-_', '+/'),
                    ((length(rtrim(data, '=')) + 3) / 4) * 4, '='), 'base64')
    end
$fn$;
{% endmacro %}

{#- How models call it: {{ base64url_decode(...) }} -#}
{% macro base64url_decode(expr) -%} {{ var('normalize_schema') }}.base64url_decode({{ expr }}) {%- endmacro %}
