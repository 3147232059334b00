{#- on-run-end: the latest outcome of every data and unit test that ran, one row per test, in
    {{ normalize_schema }}.normalize_test_results. Data tests only warn (dbt_project.yml), so a
    failure never blocks another tenant's rows; this table (and dbt's WARN lines) is where it shows:
      select test_name, status, failures, message, checked_at
      from integrations_staging.normalize_test_results where status <> 'pass'; -#}
{% macro record_test_results(results) %}
{%- set s = var('normalize_schema') -%}
{%- set rows = [] -%}
{%- for result in results if result.node.resource_type in ('test', 'unit_test') -%}
    {%- set message = (result.message or '') | string | replace("'", "''") -%}
    {%- set model = (result.node.attached_node or '') | string | replace("'", "''") -%}
    {%- do rows.append("('" ~ result.node.name ~ "', '" ~ model ~ "', '" ~ result.status ~ "', "
                       ~ (result.failures if result.failures is not none else 'null') ~ "::bigint, '" ~ message ~ "')") -%}
{%- endfor %}
create table if not exists {{ s }}.normalize_test_results (
    test_name     text primary key,
    model         text,
    status        text not null,        -- pass | warn | fail | error | skipped
    failures      bigint,               -- failing rows, for a data test
    message       text,
    invocation_id text not null,
    checked_at    timestamptz not null default now()
);
{% if rows %}
insert into {{ s }}.normalize_test_results as t (test_name, model, status, failures, message, invocation_id)
select v.*, '{{ invocation_id }}' from (values {{ rows | join(", ") }}) as v (test_name, model, status, failures, message)
on conflict (test_name) do update
    set model = excluded.model, status = excluded.status, failures = excluded.failures,
        message = excluded.message, invocation_id = excluded.invocation_id, checked_at = now();
{% endif %}
{% endmacro %}
