{#- Slack's own encodings, shared by its models. -#}

{#- A Slack timestamp ("1512085950.000216": seconds since the epoch, a dot, microseconds; a message's
    id in its channel) as timestamptz, exactly (no floating point); NULL when it is not one. -#}
{% macro slack_ts_to_timestamp(expr) -%}
    case when {{ expr }} ~ '^\d{1,11}(\.\d{1,6})?$'
         then to_timestamp(split_part({{ expr }}, '.', 1)::bigint)
              + rpad(split_part({{ expr }}, '.', 2), 6, '0')::int * interval '1 microsecond' end
{%- endmacro %}

{#- The newest live version of a Slack user of a connection, as a one-row select for a lateral join:
    display_name (the profile's display name, else real name, else handle) and email. -#}
{% macro slack_newest_user(connection_expr, user_expr) -%}
    select
        coalesce(u.profile_display_name, u.profile_real_name, u.real_name, u.name) as display_name,
        u.email
    from {{ ref('stg_slack__users') }} as u
    where u.connection_id = {{ connection_expr }}
      and u.user_id = {{ user_expr }}
      and not u.is_deleted
    order by u.raw_id desc
    limit 1
{%- endmacro %}

{#- The newest live version of a Slack channel of a connection (its name), for a lateral join. -#}
{% macro slack_newest_channel(connection_expr, channel_expr) -%}
    select c.name
    from {{ ref('stg_slack__channels') }} as c
    where c.connection_id = {{ connection_expr }}
      and c.channel_id = {{ channel_expr }}
      and not c.is_deleted
    order by c.raw_id desc
    limit 1
{%- endmacro %}
