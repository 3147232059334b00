{#- A phone number as written (E.164, international with an IDD, or national in a default region)
    to E.164, the way libphonenumber's parse() + format(E164) does it, or NULL when it cannot be
    one: the steps below follow phonenumberutil.parse (IDD or "+" and the calling code; a national
    number starting with the region's own calling code; the national prefix and carrier code
    stripped with the region's transform rule when what is left still fits) and is_possible_number
    (the length must be a possible one of the calling code's main region, local-only lengths
    excluded), and E.164's own limit of 15 digits. The rules come from the generated table
    phone_metadata (phone_metadata.sql).
    Accepted writing: an optional `tel:` prefix, one leading "+", digits, spaces and the
    punctuation of phone numbers (- . ( ) / and Unicode dashes), an extension at the end
    (`ext. 12`, `x12`, `#12`, dropped). Anything else (letters, a short code's 5 digits in most
    regions, an unknown calling code) gives NULL.
    The functions are created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_to_e164_function(schema) %}
{#- the libphonenumber length check of the general description: possible, too short, too long,
    local only (dialable only inside an area), or invalid -#}
create or replace function {{ schema }}.phone_length_check(digits text, possible int[], local_only int[])
returns text language sql immutable parallel safe as $fn$
    select case
        when possible[1] = -1 then 'invalid'
        when length(digits) = any(local_only) then 'local_only'
        when length(digits) = possible[1] then 'possible'
        when length(digits) < possible[1] then 'too_short'
        when length(digits) > possible[array_length(possible, 1)] then 'too_long'
        when length(digits) = any(possible[2:]) then 'possible'
        else 'invalid'
    end
$fn$;

{#- libphonenumber's _maybe_strip_national_prefix_carrier_code: the number without its national
    prefix (and carrier code), transformed by the region's rule, unless the original fits the
    national pattern and the result does not. -#}
create or replace function {{ schema }}.phone_strip_national_prefix(
    digits text, prefix_pattern text, transform_rule text, national_pattern text
) returns text language plpgsql immutable parallel safe as $fn$
declare
    found text[];
    last_group text;
    rest text;
    original_fits boolean;
begin
    if digits = '' or prefix_pattern is null or prefix_pattern = '' then
        return digits;
    end if;
    -- group 1 is the whole prefix match; the pattern's own groups follow
    found := regexp_match(digits, '^((?:' || prefix_pattern || '))');
    if found is null then
        return digits;
    end if;
    original_fits := digits ~ ('^(?:' || national_pattern || ')$');
    last_group := found[array_length(found, 1)];
    if transform_rule is null or transform_rule = '' or array_length(found, 1) = 1 or last_group is null then
        rest := substr(digits, length(found[1]) + 1);
    else
        rest := regexp_replace(digits, '^(?:' || prefix_pattern || ')', transform_rule);
    end if;
    if original_fits and rest !~ ('^(?:' || national_pattern || ')$') then
        return digits;
    end if;
    return rest;
end
$fn$;

create or replace function {{ schema }}.to_e164(value text, region text) returns text
language plpgsql stable parallel safe as $fn$
declare
    written text;
    digits text;
    after_idd text;
    plus boolean;
    home {{ schema }}.phone_metadata;
    meta {{ schema }}.phone_metadata;
    nsn text;
    candidate text;
begin
    if value is null then
        return null;
    end if;
    written := btrim(regexp_replace(value, '^\s*tel:', '', 'i'));
    written := regexp_replace(written, '\s*(;\s*ext=|(ext\.?|extension|x|#)\s*)\d{1,7}\s*$', '', 'i');
    if written !~ '^\+?[0-9\s().\-/\u2010-\u2015\u2212\u00a0~]+$' then
        return null;
    end if;
    plus := left(written, 1) = '+';
    digits := regexp_replace(written, '\D', '', 'g');
    if length(digits) < 2 then
        return null;
    end if;
    select * into home from {{ schema }}.phone_metadata as m
    where m.region = upper(to_e164.region) and m.region <> '001';

    -- "+" then a calling code; calling codes are prefix-free, so at most one of the first 1 to 3
    -- digits names one
    if plus then
        if length(digits) <= 2 then
            return null;
        end if;
        select * into meta from {{ schema }}.phone_metadata as m
        where m.is_main and m.calling_code in (left(digits, 1), left(digits, 2), left(digits, 3));
        -- none ("+0..."): read again without the "+", as libphonenumber does
    end if;

    -- else the default region's international prefix (IDD), unless a 0 follows it (no calling
    -- code starts with 0)
    if meta.calling_code is null and home.international_prefix is not null
       and digits ~ ('^(?:' || home.international_prefix || ')') then
        after_idd := regexp_replace(digits, '^(?:' || home.international_prefix || ')', '');
        if left(after_idd, 1) <> '0' then
            if length(after_idd) <= 2 then
                return null;
            end if;
            select * into meta from {{ schema }}.phone_metadata as m
            where m.is_main and m.calling_code in (left(after_idd, 1), left(after_idd, 2), left(after_idd, 3));
            if meta.calling_code is null then
                return null;
            end if;
            digits := after_idd;
        end if;
    end if;

    if meta.calling_code is not null then
        nsn := substr(digits, length(meta.calling_code) + 1);
    else
        if home.calling_code is null then
            return null;  -- no (known) default region: only "+" numbers can be read
        end if;
        -- a national number that starts with the region's own calling code and fits better without it
        if left(digits, length(home.calling_code)) = home.calling_code then
            candidate := {{ schema }}.phone_strip_national_prefix(
                substr(digits, length(home.calling_code) + 1), home.national_prefix_for_parsing,
                home.national_prefix_transform_rule, home.national_number_pattern);
            if (digits !~ ('^(?:' || home.national_number_pattern || ')$')
                and candidate ~ ('^(?:' || home.national_number_pattern || ')$'))
               or {{ schema }}.phone_length_check(digits, home.possible_lengths, home.local_only_lengths) = 'too_long'
            then
                nsn := candidate;
                select * into meta from {{ schema }}.phone_metadata as m
                where m.is_main and m.calling_code = home.calling_code;
            end if;
        end if;
        if meta.calling_code is null then
            if plus then
                return null;  -- "+" and no calling code, read again: still none
            end if;
            meta := home;
            nsn := digits;
        end if;
    end if;

    if length(nsn) < 2 then
        return null;
    end if;
    candidate := {{ schema }}.phone_strip_national_prefix(
        nsn, meta.national_prefix_for_parsing, meta.national_prefix_transform_rule, meta.national_number_pattern);
    if {{ schema }}.phone_length_check(candidate, meta.possible_lengths, meta.local_only_lengths)
           not in ('too_short', 'local_only', 'invalid') then
        nsn := candidate;
    end if;
    if length(nsn) > 17 then
        return null;
    end if;

    -- possible for the calling code's main region
    select * into meta from {{ schema }}.phone_metadata as m
    where m.is_main and m.calling_code = meta.calling_code;
    if {{ schema }}.phone_length_check(nsn, meta.possible_lengths, meta.local_only_lengths) <> 'possible'
       or length(meta.calling_code || nsn) > 15 then  -- E.164 has at most 15 digits
        return null;
    end if;
    return '+' || meta.calling_code || nsn;
end
$fn$;
{% endmacro %}

{#- The default region of national numbers: the var default_phone_region (dbt_project.yml), which
    `integrations` sets from INTEGRATIONS_DEFAULT_PHONE_REGION. Two letters or a compile error. -#}
{% macro default_phone_region() -%}
    {%- set region = var('default_phone_region', 'US') | string | upper -%}
    {%- if not modules.re.match('^[A-Z]{2}$', region) -%}
        {{ exceptions.raise_compiler_error("var default_phone_region (INTEGRATIONS_DEFAULT_PHONE_REGION) must be"
                                           ~ " an ISO 3166 region code such as US, got: " ~ region) }}
    {%- endif -%}
    {{ region }}
{%- endmacro %}

{#- on-run-start, after the metadata table: an unknown default region fails the run at once,
    naming the setting, instead of leaving every national number out. -#}
{% macro check_default_phone_region(schema) %}
do $do$
begin
    if not exists (select 1 from {{ schema }}.phone_metadata
                   where region = '{{ default_phone_region() }}' and region <> '001') then
        raise exception 'INTEGRATIONS_DEFAULT_PHONE_REGION (dbt var default_phone_region): unknown region %',
            '{{ default_phone_region() }}';
    end if;
end
$do$;
{% endmacro %}

{#- How models call it: {{ to_e164('expr') }} -- in the default region -#}
{% macro to_e164(expr) -%}
    {{ var('normalize_schema') }}.to_e164({{ expr }}, '{{ default_phone_region() }}')
{%- endmacro %}

{#- An array of numbers as E.164, each once, in order of first appearance; NULLs (numbers that cannot be
    made E.164) left out. -#}
{% macro e164_array(expr) -%}
    array(
        select normalized.number
        from unnest({{ expr }}) with ordinality as listed (value, ord)
        cross join lateral (select {{ to_e164('listed.value') }} as number) as normalized
        where normalized.number is not null
        group by normalized.number
        order by min(listed.ord)
    )
{%- endmacro %}
