{#- Slack's own encodings, shared by its models. -#}

{#- A Slack timestamp ("1512085950.000216": seconds since the epoch, a dot, microseconds; a message's
    id in its channel) as timestamptz, exactly (no floating point); NULL when it is not one. -#}
{% macro slack_ts_to_timestamp(expr) -%}
    case when {{ expr }} ~ '^\d{1,11}(\.\d{1,6})?$'
         then to_timestamp(split_part({{ expr }}, '.', 1)::bigint)
              + rpad(split_part({{ expr }}, '.', 2), 6, '0')::int * interval '1 microsecond' end
{%- endmacro %}
