{#-
  on-run-start: the schemas, the watermark table and the SQL helper functions the models call
  (decoding that repeats: base64url, charsets, RFC 2047, address lists, HTML, phone numbers and
  their E.164 form, Slack's message markup).
  Each function is created by its own macro in sql_functions/ (documented in _sql_functions.yml),
  in dependency order: a function is created after the ones its body calls. Every helper is
  total: bad input gives NULL or replacement characters, never an error, because one error would
  abort the whole model.
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
{{ forget_watermarks_of_removed_models() }}

{{ create_input_is_valid_function(s) }}
{{ create_base64url_is_valid_function(s) }}
{{ create_base64url_decode_function(s) }}
{{ create_pg_encoding_for_function(s) }}
{{ create_iso2022jp_to_eucjp_function(s) }}
{{ create_decode_text_function(s) }}
{{ create_q_decode_function(s) }}
{{ create_rfc2047_decode_function(s) }}
{{ create_parse_address_list_function(s) }}
{{ create_html_to_text_function(s) }}
{{ create_extract_phones_function(s) }}
{{ create_phone_metadata_table(s) }}
{{ check_default_phone_region(s) }}
{{ create_to_e164_function(s) }}
{{ create_slack_render_text_function(s) }}
{% endmacro %}

{#- A renamed or deleted model leaves its watermark row behind; prune_removal_log() waits for the
    lowest watermark of all rows, so a stale row would keep the removal log forever. Rows of
    models the project no longer has are deleted (the graph lists every model, whatever --select). -#}
{% macro forget_watermarks_of_removed_models() %}
{%- if execute -%}
{%- set names = [] -%}
{%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
    {%- do names.append(node.alias) -%}
{%- endfor -%}
delete from {{ watermark_table() }} where model <> all (array['{{ names | join("', '") }}']::text[]);
{%- endif -%}
{% endmacro %}
