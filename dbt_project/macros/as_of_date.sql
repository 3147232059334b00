{#- "Today" for the rules that depend on it (an invoice is overdue once its due date has passed):
    the database's current_date, or the var `as_of_date` (YYYY-MM-DD) to build as of another day --
    a replay of a past day, or a test that moves the calendar instead of waiting for it. A value that
    is no date fails the run at compile time, naming the var. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none or value == '' -%}
        current_date
    {%- else -%}
        {%- set text = value | string -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error("var as_of_date must be a date written YYYY-MM-DD, got: " ~ text) }}
        {%- endif -%}
        '{{ text }}'::date
    {%- endif -%}
{%- endmacro %}
