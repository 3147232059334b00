{#- Whether text parses as a type (NULL for NULL), for casts that must never abort a model.
    PostgreSQL 16+ has pg_input_is_valid; on 15 a cast inside an exception block does the same.
    The function is created by create_normalize_support() (on-run-start); see _sql_functions.yml. -#}
{% macro create_input_is_valid_function(schema) %}
do $do$
begin
    if current_setting('server_version_num')::int >= 160000 then
        execute $f$
            create or replace function {{ schema }}.input_is_valid(value text, type_name text) returns boolean
            language sql stable parallel safe as 'select pg_input_is_valid(value, type_name)'
        $f$;
    else
        execute $f$
            create or replace function {{ schema }}.input_is_valid(value text, type_name text) returns boolean
            language plpgsql stable as $fn$
            begin
                if value is null then
                    return null;
                end if;
                execute format('select %L::%s', value, type_name::regtype);
                return true;
            exception when others then
                return false;
            end
            $fn$
        $f$;
    end if;
end
$do$;
{% endmacro %}

{#- input_is_valid(text, type): how models call it -- {{ input_is_valid() }}(value, 'date') -#}
{% macro input_is_valid() -%} {{ var('normalize_schema') }}.input_is_valid {%- endmacro %}
