{#- RFC 5322 address list -> jsonb [{"ord", "address", "display_name"}]: quoted display names
    (with commas, quotes, escapes), comments, groups ("Team: a@x, b@y;"), RFC 2047 words.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_parse_address_list_function(schema) %}
create or replace function {{ schema }}.parse_address_list(value text) returns jsonb
language plpgsql immutable parallel safe as $fn$
declare
    tok text;
    phrase text := '';
    space_pending boolean := false;
    angle text := null;
    bare text := '';
    result jsonb := '[]'::jsonb;
    ord int := 0;
    addr text;
begin
    if value is null then
        return result;
    end if;
    for tok in
        select m[1] from regexp_matches(
            regexp_replace(value, '\r?\n(?=[ \t])', '', 'g') || ',',
            '("(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^>]*>?|[,:;]|[^\s,:;"(<]+|\s+)', 'g') as m
    loop
        if tok ~ '^\s' or left(tok, 1) = '(' then
            space_pending := phrase <> '';
        elsif tok = ',' or tok = ';' then
            addr := btrim(coalesce(angle, bare), E' \t\r\n');
            if addr <> '' then
                ord := ord + 1;
                result := result || jsonb_build_object(
                    'ord', ord,
                    'address', addr,
                    'display_name', case when angle is not null
                                         then {{ schema }}.rfc2047_decode(phrase) else '' end);
            end if;
            phrase := ''; bare := ''; angle := null; space_pending := false;
        elsif tok = ':' then  -- the phrase so far named a group; its members follow
            phrase := ''; bare := ''; angle := null; space_pending := false;
        elsif left(tok, 1) = '<' then
            angle := regexp_replace(tok, '^<|>$', '', 'g');
        else
            phrase := phrase || case when space_pending then ' ' else '' end
                || case when left(tok, 1) = '"'
                        then regexp_replace(regexp_replace(tok, '^"|"$', '', 'g'), '\\(.)', '\1', 'g')
                        else tok end;
            bare := bare || tok;
            space_pending := false;
        end if;
    end loop;
    return result;
end
$fn$;
{% endmacro %}

{#- How models call it: {{ parse_address_list(...) }} -#}
{% macro parse_address_list(expr) -%} {{ var('normalize_schema') }}.parse_address_list({{ expr }}) {%- endmacro %}
