{#- Slack's message markup (mrkdwn as conversations.history returns it) to readable text: user
    mentions `<@U123>` become `@display name`, channel mentions `<#C123|name>` `#name`, special
    mentions `<!here>` `@here`, links `<https://x|label>` `label (https://x)` and `<https://x>`
    `https://x`; Slack's three escapes (&amp; &lt; &gt;) are undone, in the text and in labels,
    never in the names put in. A token's parts: https://docs.slack.dev/messaging/formatting-message-text.
    The functions are created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_slack_render_text_function(schema) %}
create or replace function {{ schema }}.slack_unescape(value text) returns text
language sql immutable parallel safe as $fn$
    -- &amp; last: "&amp;lt;" is the text "&lt;"
    select replace(replace(replace(value, '&lt;', '<'), '&gt;', '>'), '&amp;', '&')
$fn$;

{#- one token, what is between < and >: @user, #channel, !special, or a link -#}
create or replace function {{ schema }}.slack_render_token(token text, user_names jsonb, channel_names jsonb)
returns text language sql immutable parallel safe as $fn$
    select case
        when token ~ '^@[A-Z0-9]+(\|.*)?$' then
            '@' || coalesce(nullif(user_names ->> substring(token from '^@([A-Z0-9]+)'), ''),
                            nullif({{ schema }}.slack_unescape(substring(token from '^@[A-Z0-9]+\|(.*)$')), ''),
                            substring(token from '^@([A-Z0-9]+)'))
        when token ~ '^#[A-Z0-9]+(\|.*)?$' then
            '#' || coalesce(nullif({{ schema }}.slack_unescape(substring(token from '^#[A-Z0-9]+\|(.*)$')), ''),
                            nullif(channel_names ->> substring(token from '^#([A-Z0-9]+)'), ''),
                            substring(token from '^#([A-Z0-9]+)'))
        -- <!here>, <!channel>, <!everyone>; <!subteam^S1|@team>, <!date^...|fallback>: the label
        when token ~ '^!' then
            coalesce(nullif({{ schema }}.slack_unescape(substring(token from '\|(.*)$')), ''),
                     '@' || substring(token from '^!([^|^]*)'))
        else (
            select case
                when link.label is null or link.label = '' then link.url
                -- an auto-link (<mailto:a@x.com|a@x.com>, <http://x.com|x.com>): the label says it all
                when link.label = link.url
                     or link.label = regexp_replace(link.url, '^(https?://|mailto:|tel:)', '') then link.label
                else link.label || ' (' || link.url || ')'
            end
            from (select {{ schema }}.slack_unescape(split_part(token, '|', 1)) as url,
                         {{ schema }}.slack_unescape(substring(token from '\|(.*)$')) as label) as link
        )
    end
$fn$;

create or replace function {{ schema }}.slack_render_text(value text, user_names jsonb, channel_names jsonb)
returns text language sql immutable parallel safe as $fn$
    -- the text between tokens and the tokens alternate: split and match scan alike, so the n-th
    -- piece is followed by the n-th token
    select case when value is not null then coalesce((
        select string_agg({{ schema }}.slack_unescape(piece.part)
                          || coalesce({{ schema }}.slack_render_token(token.m[1], user_names, channel_names), ''),
                          '' order by piece.ord)
        from regexp_split_to_table(value, '<[^<>]*>') with ordinality as piece (part, ord)
        left join regexp_matches(value, '<([^<>]*)>', 'g') with ordinality as token (m, ord)
            on piece.ord = token.ord
    ), '') end
$fn$;
{% endmacro %}

{#- How models call it: {{ slack_render_text('text', 'user_names', 'channel_names') }} -#}
{% macro slack_render_text(text_expr, user_names_expr, channel_names_expr) -%}
    {{ var('normalize_schema') }}.slack_render_text({{ text_expr }}, {{ user_names_expr }}, {{ channel_names_expr }})
{%- endmacro %}

{#- The user ids (`<@U123>`) and channel ids (`<#C123>`) a text mentions, each once: what a message's
    rendering depends on. -#}
{% macro slack_mentioned_ids(text_expr, sigil) -%}
    array(select distinct mention[1]
          from regexp_matches(coalesce({{ text_expr }}, ''), '<{{ sigil }}([A-Z0-9]+)(?:\|[^<>]*)?>', 'g') as mention)
{%- endmacro %}
