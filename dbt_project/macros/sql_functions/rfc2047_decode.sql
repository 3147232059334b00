{#- RFC 2047 encoded words (=?charset?B|Q?text?=) -> text. Whitespace between two adjacent
    encoded words is dropped; a word that cannot be decoded is left as it is.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_rfc2047_decode_function(schema) %}
create or replace function {{ schema }}.rfc2047_decode(value text) returns text
language plpgsql immutable parallel safe as $fn$
declare
    result text := '';
    rest text := value;
    m text[];
    pos int;
    whole text;
    pre text;
    bytes bytea;
    last_was_word boolean := false;
begin
    if value is null or strpos(value, '=?') = 0 then
        return value;
    end if;
    loop
        m := regexp_match(rest, '=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=');
        exit when m is null;
        whole := '=?' || m[1] || '?' || m[2] || '?' || m[3] || '?=';
        pos := strpos(rest, whole);
        pre := substr(rest, 1, pos - 1);
        if upper(m[2]) = 'B' then
            bytes := {{ schema }}.base64url_decode(m[3]);
        else
            bytes := {{ schema }}.q_decode(m[3]);
        end if;
        if last_was_word and pre ~ '^\s*$' then
            pre := '';
        end if;
        if bytes is null then
            result := result || pre || whole;
            last_was_word := false;
        else
            result := result || pre || {{ schema }}.decode_text(bytes, split_part(m[1], '*', 1));
            last_was_word := true;
        end if;
        rest := substr(rest, pos + length(whole));
    end loop;
    return result || rest;
end
$fn$;
{% endmacro %}

{#- How models call it: {{ rfc2047_decode(...) }} -#}
{% macro rfc2047_decode(expr) -%} {{ var('normalize_schema') }}.rfc2047_decode({{ expr }}) {%- endmacro %}
