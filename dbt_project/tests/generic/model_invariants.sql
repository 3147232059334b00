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

{#- The column is a phone number in E.164: "+", a first digit 1-9, at most 15 digits (NULLs are not
    checked). -#}
{% test is_e164(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} !~ '^\+[1-9]\d{1,14}$'
{% endtest %}

{#- Every element of the array column is a phone number in E.164. -#}
{% test is_e164_array(model, column_name) %}
select {{ column_name }}
from {{ model }}
where exists (select 1 from unnest({{ column_name }}) as phone where phone !~ '^\+[1-9]\d{1,14}$')
{% endtest %}
