{#- For each changed object (rows of `changed` with connection_id and external_id): its newest raw
    version (`head_raw_id`, which may be a tombstone) and the newest version with content
    (`content_raw_id`, the last one that is not a tombstone). Both intermediate models use it.
    An object with no raw version left (its raw rows were deleted, e.g. with its connection) comes
    out with NULL ids: the models keep it as a removal marker (see drop_consumed_removals). -#}
{% macro object_versions(changed, resource_type) %}
    select
        changed_objects.connection_id,
        changed_objects.external_id,
        head.id as head_raw_id,
        coalesce(head.is_deleted, true) as is_deleted,
        live.id as content_raw_id
    from {{ changed }} as changed_objects
    left join lateral (
        select id, is_deleted
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = '{{ resource_type }}'
          and r.external_id = changed_objects.external_id
        order by r.id desc
        limit 1
    ) as head on true
    left join lateral (
        select id
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = '{{ resource_type }}'
          and r.external_id = changed_objects.external_id
          and not r.is_deleted
        order by r.id desc
        limit 1
    ) as live on true
{% endmacro %}

{#- Objects of {{ this }} whose raw rows were deleted since the last build (a deleted connection,
    a hand-made delete, pruned versions): raw_records no longer shows them under the txid
    watermark, integrations.raw_record_removals does. Only in incremental builds. -#}
{% macro removed_objects(resource_type) %}
    select removals.connection_id, removals.external_id
    from {{ source('integrations', 'raw_record_removals') }} as removals
    join {{ this }} as known
      on known.connection_id = removals.connection_id
     and known.external_id = removals.external_id
    where removals.resource_type = '{{ resource_type }}'
      and removals.txid >= {{ watermark_low() }}
      and known.head_raw_id is not null
{% endmacro %}

{#- pre-hook of an intermediate model: removal markers (rows with no raw version left, head_raw_id
    NULL) that every model downstream has already read are deleted for good. A marker tells the
    product models which email or meeting to rebuild or drop; once they all ran past it, nothing
    is left of the removed object. `marker` is the condition that makes a row a marker. -#}
{% macro drop_consumed_removals(downstream, marker='head_raw_id is null') -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {{ marker }}
      and changed_txid < (
          select min(low_xmin) from {{ watermark_table() }}
          where model in ('{{ downstream | join("', '") }}')
          having count(low_xmin) = {{ downstream | length }})
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: removal log entries older than every model's watermark have been read by all. -#}
{% macro prune_removal_log() -%}
    delete from integrations.raw_record_removals
    where txid < (select min(low_xmin) from {{ watermark_table() }} having count(*) = count(low_xmin))
{%- endmacro %}

{#- The emails a product model must rebuild: those of every mailbox row changed since the model's
    watermark, and the ones such a row left (its email_id changed); in a post-hook the watermark
    is still the previous one. -#}
{% macro changed_email_ids() -%}
    select email_id from {{ ref('int_email_copies_identified') }}
    where changed_txid >= {{ watermark_low() }} and email_id is not null
    union
    select prior_email_id from {{ ref('int_email_copies_identified') }}
    where changed_txid >= {{ watermark_low() }} and prior_email_id is not null
{%- endmacro %}

{#- The meetings a product model must rebuild: those of every calendar copy changed since the
    model's watermark, and the ones such a copy left (its meeting_id changed). -#}
{% macro changed_meeting_ids() -%}
    select meeting_id from {{ ref('int_calendar_events_identified') }}
    where changed_txid >= {{ watermark_low() }} and meeting_id is not null
    union
    select prior_meeting_id from {{ ref('int_calendar_events_identified') }}
    where changed_txid >= {{ watermark_low() }} and prior_meeting_id is not null
{%- endmacro %}

{#- Whether historyId `a` (text) is a later mailbox state than `b`: a non-numeric or missing `a`
    never is; a non-numeric or missing `b` is older than any numeric `a`. -#}
{% macro history_after(a, b) -%}
    case when {{ a }} ~ '^\d{1,30}$'
         then case when {{ b }} ~ '^\d{1,30}$' then {{ a }}::numeric > {{ b }}::numeric else true end
         else false end
{%- endmacro %}
