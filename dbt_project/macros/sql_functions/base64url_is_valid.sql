{#- base64url (or base64) with or without padding; NULL when it is not valid base64.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_base64url_is_valid_function(schema) %}
create or replace function {{ schema }}.base64url_is_valid(data text) returns boolean
language sql immutable parallel safe as $fn$
    select data is not null
       and data ~ '^[A-Za-z0-9_+/-]*={0,2}$'
       and length(rtrim(data, '=')) % 4 <> 1
$fn$;
{% endmacro %}

{#- How models call it: {{ base64url_is_valid(...) }} -#}
{% macro base64url_is_valid(expr) -%} {{ var('normalize_schema') }}.base64url_is_valid({{ expr }}) {%- endmacro %}
