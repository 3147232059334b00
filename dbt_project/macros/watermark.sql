{#-
  The incremental watermark: a model reading integrations.raw_records re-reads every row whose
  writing transaction (raw_records.txid) is >= the snapshot xmin taken at the start of its last
  successful build. Rows with a smaller txid were committed (or aborted) before that build's
  snapshot, so the build saw them; anything newer -- including a transaction that was already open
  and commits late -- is read again next time. Merges are idempotent, so re-reading is harmless.

  How a model uses it (all three run in the model's own transaction, so a failed build never
  advances its watermark):
    pre_hook:  {{ watermark_begin() }}   -- pending_xmin := pg_snapshot_xmin(pg_current_snapshot())
    sql:       where txid >= {{ watermark_low() }}
    post_hook: {{ watermark_commit() }}  -- low_xmin := pending_xmin
  The pre-hook statement's snapshot is taken before the model's own statements, so every txid
  below pending_xmin is visible to the model.
-#}

{% macro watermark_table() -%}
    {{ var('normalize_schema') }}.normalize_watermarks
{%- endmacro %}

{% macro watermark_begin() -%}
    insert into {{ watermark_table() }} as w (model, pending_xmin, started_at)
    values ('{{ this.identifier }}', pg_snapshot_xmin(pg_current_snapshot()), now())
    on conflict (model) do update
        set pending_xmin = excluded.pending_xmin, started_at = excluded.started_at
{%- endmacro %}

{% macro watermark_low() -%}
    coalesce(
        (select low_xmin from {{ watermark_table() }} where model = '{{ this.identifier }}'),
        '0'::xid8
    )
{%- endmacro %}

{% macro watermark_commit() -%}
    update {{ watermark_table() }}
    set low_xmin = pending_xmin,
        finished_at = now(),
        full_refresh = {{ 'false' if is_incremental() else 'true' }},
        invocation_id = '{{ invocation_id }}'
    where model = '{{ this.identifier }}'
{%- endmacro %}
