{#-
  on-run-start: the schema for staging models, the watermark table and the SQL helper functions
  the models call (decoding that repeats: base64url, charsets, RFC 2047, address lists, HTML).
  Every helper is total: bad input gives NULL or replacement characters, never an error, because
  one error would abort the whole model.
-#}
{% macro create_normalize_support() %}
{%- set s = var('normalize_schema') -%}
create schema if not exists {{ s }};
create schema if not exists product;

create table if not exists {{ s }}.normalize_watermarks (
    model         text primary key,
    low_xmin      xid8,             -- re-read raw rows with txid >= this (NULL: read everything)
    pending_xmin  xid8,             -- taken by the running build, becomes low_xmin on success
    started_at    timestamptz,
    finished_at   timestamptz,
    full_refresh  boolean,
    invocation_id text
);

-- Whether text parses as a type (NULL for NULL), for casts that must never abort a model.
-- PostgreSQL 16+ has pg_input_is_valid; on 15 a cast inside an exception block does the same.
do $do$
begin
    if current_setting('server_version_num')::int >= 160000 then
        execute $f$
            create or replace function {{ s }}.input_is_valid(value text, type_name text) returns boolean
            language sql stable parallel safe as 'select pg_input_is_valid(value, type_name)'
        $f$;
    else
        execute $f$
            create or replace function {{ s }}.input_is_valid(value text, type_name text) returns boolean
            language plpgsql stable as $fn$
            begin
                if value is null then
                    return null;
                end if;
                execute format('select %L::%s', value, type_name::regtype);
                return true;
            exception when others then
                return false;
            end
            $fn$
        $f$;
    end if;
end
$do$;

-- base64url (or base64) with or without padding; NULL when it is not valid base64.
create or replace function {{ s }}.base64url_is_valid(data text) returns boolean
language sql immutable parallel safe as $fn$
    select data is not null
       and data ~ '^[A-Za-z0-9_+/-]*={0,2}$'
       and length(rtrim(data, '=')) % 4 <> 1
$fn$;

create or replace function {{ s }}.base64url_decode(data text) returns bytea
language sql immutable parallel safe as $fn$
    select case when {{ s }}.base64url_is_valid(data) then
        decode(rpad(translate(rtrim(data, '='), '-_', '+/'),
                    ((length(rtrim(data, '=')) + 3) / 4) * 4, '='), 'base64')
    end
$fn$;

-- MIME charset name -> PostgreSQL encoding name; NULL when PostgreSQL has no such encoding.
create or replace function {{ s }}.pg_encoding_for(charset text) returns text
language sql immutable parallel safe as $fn$
    select case lower(btrim(coalesce(charset, ''), ' "'''))
        when '' then 'UTF8'
        when 'utf-8' then 'UTF8' when 'utf8' then 'UTF8'
        when 'us-ascii' then 'UTF8' when 'ascii' then 'UTF8' when 'ansi_x3.4-1968' then 'UTF8'
        when 'iso-8859-1' then 'LATIN1' when 'iso8859-1' then 'LATIN1' when 'iso_8859-1' then 'LATIN1'
        when 'latin1' then 'LATIN1' when 'latin-1' then 'LATIN1' when 'l1' then 'LATIN1'
        when 'iso-8859-2' then 'LATIN2' when 'iso-8859-15' then 'LATIN9'
        when 'iso-8859-5' then 'ISO_8859_5' when 'iso-8859-7' then 'ISO_8859_7'
        when 'windows-1252' then 'WIN1252' when 'cp1252' then 'WIN1252'
        when 'windows-1251' then 'WIN1251' when 'cp1251' then 'WIN1251'
        when 'windows-1250' then 'WIN1250' when 'cp1250' then 'WIN1250'
        when 'koi8-r' then 'KOI8R' when 'koi8-u' then 'KOI8U'
        when 'shift_jis' then 'SJIS' when 'shift-jis' then 'SJIS' when 'sjis' then 'SJIS'
        when 'x-sjis' then 'SJIS' when 'cp932' then 'SJIS' when 'windows-31j' then 'SJIS'
        when 'euc-jp' then 'EUC_JP' when 'euc-kr' then 'EUC_KR' when 'ks_c_5601-1987' then 'UHC'
        when 'gb2312' then 'EUC_CN' when 'gbk' then 'GBK' when 'gb18030' then 'GB18030'
        when 'big5' then 'BIG5'
    end
$fn$;

-- ISO-2022-JP (RFC 1468) -> EUC-JP bytes. PostgreSQL has no ISO-2022-JP encoding, but the two
-- share JIS X 0208: inside an ESC $ B (or ESC $ @) segment each byte 0x21-0x7E is the EUC-JP byte
-- without its high bit; ESC ( B / ESC ( J segments are ASCII; ESC ( I (half-width katakana) bytes
-- become 0x8E + the byte with its high bit. Works on a one-character-per-byte LATIN1 view of the
-- bytes (no per-byte loop); bytes it cannot view (a NUL) are returned unchanged.
create or replace function {{ s }}.iso2022jp_to_eucjp(data bytea) returns bytea
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

-- Bytes in a charset -> text. Unknown charsets are read as UTF-8; undecodable bytes become
-- U+FFFD (the same as Python's errors='replace'), never an error. ISO-2022-JP goes through EUC-JP.
create or replace function {{ s }}.decode_text(data bytea, charset text) returns text
language plpgsql immutable parallel safe as $fn$
declare
    enc text := coalesce({{ s }}.pg_encoding_for(charset), 'UTF8');
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
        data := {{ s }}.iso2022jp_to_eucjp(data);
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

-- Quoted-printable as used by RFC 2047 "Q" words ("_" is a space) -> bytes.
create or replace function {{ s }}.q_decode(data text) returns bytea
language sql immutable parallel safe as $fn$
    select coalesce(decode(string_agg(
        case when m[1] ~ '^=[0-9A-Fa-f]{2}$' then substr(m[1], 2)
             else encode(convert_to(replace(m[1], '_', ' '), 'UTF8'), 'hex') end,
        '' order by o), 'hex'), ''::bytea)
    from regexp_matches(data, '(=[0-9A-Fa-f]{2}|[^=]+|=)', 'g') with ordinality as t(m, o)
$fn$;

-- RFC 2047 encoded words (=?charset?B|Q?text?=) -> text. Whitespace between two adjacent
-- encoded words is dropped; a word that cannot be decoded is left as it is.
create or replace function {{ s }}.rfc2047_decode(value text) returns text
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
            bytes := {{ s }}.base64url_decode(m[3]);
        else
            bytes := {{ s }}.q_decode(m[3]);
        end if;
        if last_was_word and pre ~ '^\s*$' then
            pre := '';
        end if;
        if bytes is null then
            result := result || pre || whole;
            last_was_word := false;
        else
            result := result || pre || {{ s }}.decode_text(bytes, split_part(m[1], '*', 1));
            last_was_word := true;
        end if;
        rest := substr(rest, pos + length(whole));
    end loop;
    return result || rest;
end
$fn$;

-- RFC 5322 address list -> jsonb [{"ord", "address", "display_name"}]: quoted display names
-- (with commas, quotes, escapes), comments, groups ("Team: a@x, b@y;"), RFC 2047 words.
create or replace function {{ s }}.parse_address_list(value text) returns jsonb
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
                                         then {{ s }}.rfc2047_decode(phrase) else '' end);
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

-- HTML -> readable text: scripts/styles dropped, block ends become line breaks, tags removed,
-- entities decoded, blank runs collapsed.
create or replace function {{ s }}.html_to_text(html text) returns text
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

-- Phone numbers in a text, normalized to "+" and digits (7 to 15 digits).
create or replace function {{ s }}.extract_phones(value text) returns text[]
language sql immutable parallel safe as $fn$
    select coalesce(array_agg(phone order by first_ord), '{}')
    from (
        select phone, min(o) as first_ord
        from (
            select regexp_replace(m[1], '[^0-9+]', '', 'g') as phone, o
            from regexp_matches(coalesce(value, ''), '(\+?\(?\d[\d\s().\-]{5,}\d)', 'g') with ordinality as t(m, o)
        ) found
        where length(regexp_replace(phone, '\D', '', 'g')) between 7 and 15
        group by phone
    ) phones
$fn$;
{% endmacro %}
