{#- For each changed object (rows of `changed` with connection_id and external_id): its newest raw
    version (`head_raw_id`, which may be a tombstone) and the newest version with content
    (`content_raw_id`, the last one that is not a tombstone). Both intermediate models use it. -#}
{% macro object_versions(changed, resource_type) %}
    select
        changed_objects.connection_id,
        changed_objects.external_id,
        head.id as head_raw_id,
        head.is_deleted,
        live.id as content_raw_id
    from {{ changed }} as changed_objects
    cross join lateral (
        select id, is_deleted
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = '{{ resource_type }}'
          and r.external_id = changed_objects.external_id
        order by r.id desc
        limit 1
    ) as head
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
