{#- MIME charset name -> PostgreSQL encoding name; NULL when PostgreSQL has no such encoding.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_pg_encoding_for_function(schema) %}
create or replace function {{ schema }}.pg_encoding_for(charset text) returns text
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
{% endmacro %}
