{#- normalize_quarantine: the union of every provider's quarantine model.

    A provider's quarantine checks live in its own model(s), tagged `quarantine`, with the fixed
    column contract of models/intermediate/_quarantine.yml (raw_id, connection_id, tenant_id,
    resource_type, external_id, reason), and are listed in the project var `quarantine_models`
    (dbt_project.yml). The list exists because dbt infers a model's dependencies when it parses
    it, when the graph of other models is still empty: the union refs each listed model at parse
    time, so dbt builds them first. At run time the union also checks the list against the graph
    and fails, naming the model and the fix, when a `quarantine`-tagged model is not listed (or a
    listed one is not tagged), so a forgotten entry can never drop a provider's quarantine
    silently. Changing a var makes dbt re-parse everything, so partial parsing never keeps a
    stale list. -#}
{% macro union_quarantine_models() %}
    {%- set listed = var('quarantine_models', []) -%}
    {%- if execute -%}
        {%- set tagged = [] -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and 'quarantine' in node.tags
                   and node.package_name == project_name -%}
            {%- do tagged.append(node.name) -%}
        {%- endfor -%}
        {%- set unlisted = tagged | reject('in', listed) | list -%}
        {%- set untagged = listed | reject('in', tagged) | list -%}
        {%- if unlisted or untagged -%}
            {{ exceptions.raise_compiler_error(
                "normalize_quarantine: quarantine models must be tagged 'quarantine' and listed in the"
                ~ " var quarantine_models (dbt_project.yml). Tagged but not listed: " ~ unlisted
                ~ "; listed but not tagged: " ~ untagged) }}
        {%- endif -%}
    {%- endif -%}
    {%- if not listed %}
    select null::bigint as raw_id, null::uuid as connection_id, null::uuid as tenant_id,
           null::text as resource_type, null::text as external_id, null::text as reason
    where false
    {%- endif -%}
    {%- for name in listed %}
    {% if not loop.first %}union all{% endif %}
    select raw_id, connection_id, tenant_id, resource_type, external_id, reason
    from {{ ref(name) }}
    {%- endfor %}
{% endmacro %}
