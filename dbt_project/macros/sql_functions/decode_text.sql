{#- Bytes in a charset -> text. Unknown charsets are read as UTF-8; undecodable bytes become
    U+FFFD (the same as Python's errors='replace'), never an error. ISO-2022-JP goes through EUC-JP.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_decode_text_function(schema) %}
create or replace function {{ schema }}.decode_text(data bytea, charset text) returns text
language plpgsql immutable parallel safe as $fn$
declare
    enc text := coalesce({{ schema }}.pg_encoding_for(charset), 'UTF8');
    result text := '';
    piece text;
    i int := 1;
    n int;
    step int;
begin
    if data is null then
        return null;
    end if;
    if lower(btrim(coalesce(charset, ''), ' "''')) in ('iso-2022-jp', 'csiso2022jp', 'iso2022jp') then
        data := {{ schema }}.iso2022jp_to_eucjp(data);
        enc := 'EUC_JP';
    end if;
    begin
        return convert_from(data, enc);
    exception when others then
        null;  -- fall through to the byte-by-byte decoder below
    end;
    n := length(data);
    while i <= n loop
        step := 0;
        for k in 1..least(4, n - i + 1) loop
            begin
                piece := convert_from(substring(data from i for k), enc);
                step := k;
                exit;
            exception when others then
                null;
            end;
        end loop;
        if step > 0 then
            result := result || piece;
            i := i + step;
        else
            result := result || U&'\FFFD';
            i := i + 1;
        end if;
    end loop;
    return result;
end
$fn$;
{% endmacro %}

{#- How models call it: {{ decode_text(...) }} -#}
{% macro decode_text(bytes, charset) -%} {{ var('normalize_schema') }}.decode_text({{ bytes }}, {{ charset }}) {%- endmacro %}
