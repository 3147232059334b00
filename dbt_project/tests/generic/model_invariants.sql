{#- Model-level invariants as generic data tests. Like every data test here they only warn
    (dbt_project.yml) and their outcome is recorded in integrations_staging.normalize_test_results. -#}

{#- Every row has at least one row in `to` whose `field` equals its `column_name` (the reverse of
    `relationships`): e.g. every email is held by at least one mailbox. -#}
{% test has_rows_in(model, column_name, to, field) %}
select parent.{{ column_name }}
from {{ model }} as parent
where parent.{{ column_name }} is not null
  and not exists (
      select 1 from {{ to }} as child
      where child.{{ field }} = parent.{{ column_name }}
  )
{% endtest %}

{#- The column never comes before `start_column` (NULLs are not checked): no meeting ends
    before it starts. -#}
{% test not_before(model, column_name, start_column) %}
select *
from {{ model }}
where {{ column_name }} < {{ start_column }}
{% endtest %}

{#- The column is in lower case (addresses are compared and joined lower-cased). -#}
{% test is_lower_case(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} <> lower({{ column_name }})
{% endtest %}
