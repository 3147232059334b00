{#- HTML -> readable text: scripts/styles dropped, block ends become line breaks, tags removed,
    entities decoded, blank runs collapsed.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_html_to_text_function(schema) %}
create or replace function {{ schema }}.html_to_text(html text) returns text
language plpgsql immutable parallel safe as $fn$
declare
    t text := html;
    m text[];
begin
    if t is null then
        return null;
    end if;
    t := regexp_replace(t, '<!--.*?-->', '', 'g');
    t := regexp_replace(t, '<(script|style|head|title)\M[^>]*>.*?</\1\s*>', '', 'gi');
    t := regexp_replace(t, '\s+', ' ', 'g');
    t := regexp_replace(t, '<br\M[^>]*>', E'\n', 'gi');
    t := regexp_replace(t, '<li\M[^>]*>', E'\n- ', 'gi');
    t := regexp_replace(t, '</?(p|div|tr|table|h[1-6]|ul|ol|blockquote|pre|section|article|header|footer)\M[^>]*>', E'\n', 'gi');
    t := regexp_replace(t, '</t[dh]\s*>', ' ', 'gi');
    t := regexp_replace(t, '<[^>]*>', '', 'g');
    loop  -- numeric character references
        m := regexp_match(t, '&#([xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});');
        exit when m is null;
        t := replace(t, '&#' || m[1] || ';',
            coalesce(case when left(m[1], 1) in ('x', 'X')
                          then case when ('x' || lpad(substr(m[1], 2), 8, '0'))::bit(32)::int between 1 and 1114111
                                     and ('x' || lpad(substr(m[1], 2), 8, '0'))::bit(32)::int not between 55296 and 57343
                                    then chr(('x' || lpad(substr(m[1], 2), 8, '0'))::bit(32)::int) end
                          else case when m[1]::int between 1 and 1114111 and m[1]::int not between 55296 and 57343
                                    then chr(m[1]::int) end
                     end, U&'\FFFD'));
    end loop;
    t := replace(replace(replace(replace(replace(replace(t,
            '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&apos;', ''''), '&#39;', '''');
    t := replace(t, '&amp;', '&');
    t := regexp_replace(t, '[ \t\u00a0]+', ' ', 'g');
    t := regexp_replace(t, ' *\n *', E'\n', 'g');
    t := regexp_replace(t, '\n{3,}', E'\n\n', 'g');
    return btrim(t, E' \n');
end
$fn$;
{% endmacro %}

{#- How models call it: {{ html_to_text(...) }} -#}
{% macro html_to_text(expr) -%} {{ var('normalize_schema') }}.html_to_text({{ expr }}) {%- endmacro %}
