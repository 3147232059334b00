{#- ISO-2022-JP (RFC 1468) -> EUC-JP bytes. PostgreSQL has no ISO-2022-JP encoding, but the two
    share JIS X 0208: inside an ESC $ B (or ESC $ @) segment each byte 0x21-0x7E is the EUC-JP byte
    without its high bit; ESC ( B / ESC ( J segments are ASCII; ESC ( I (half-width katakana) bytes
    become 0x8E + the byte with its high bit. Works on a one-character-per-byte LATIN1 view of the
    bytes (no per-byte loop); bytes it cannot view (a NUL) are returned unchanged.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_iso2022jp_to_eucjp_function(schema) %}
create or replace function {{ schema }}.iso2022jp_to_eucjp(data bytea) returns bytea
language plpgsql immutable parallel safe as $fn$
declare
    t text;
    result text := '';
    m text[];
    low text := (select string_agg(chr(c), '' order by c) from generate_series(33, 126) as c);
    high text := (select string_agg(chr(c + 128), '' order by c) from generate_series(33, 126) as c);
begin
    if data is null or position('\x1b'::bytea in data) = 0 then
        return data;
    end if;
    begin
        t := convert_from(data, 'LATIN1');
    exception when others then
        return data;
    end;
    for m in
        select regexp_matches(E'\x1b(B' || t, E'\x1b(\\(B|\\(J|\\$@|\\$B|\\(I)?([^\x1b]*)', 'g')
    loop
        if m[1] in ('$B', '$@') then
            result := result || translate(m[2], low, high);
        elsif m[1] = '(I' then
            result := result || regexp_replace(translate(m[2], low, high), '(.)', E'\u008e\\1', 'g');
        else
            result := result || m[2];
        end if;
    end loop;
    return convert_to(result, 'LATIN1');
end
$fn$;
{% endmacro %}
