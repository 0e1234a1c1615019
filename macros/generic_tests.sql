{#- Generic data tests of our own (no dbt packages can be installed offline). Each is one query and one
    dbt node, so a model's invariants cost one scan instead of one per column. -#}

{% test primary_key(model, column_name) %}
    {#- unique and not_null in one scan: the rows of duplicated or null keys. -#}
    select
        {{ column_name }},
        count(*) as row_count
    from {{ model }}
    group by {{ column_name }}
    having count(*) > 1 or {{ column_name }} is null
{% endtest %}

{% test unique_combination(model, columns) %}
    {#- The columns together identify a row (the grain key of a model with a composite key). -#}
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test not_null_columns(model, columns) %}
    {#- The rows where any of the columns is null: a model-level not_null for several columns. -#}
    select {{ columns | join(', ') }}
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{{ " or " if not loop.last }}{% endfor %}
{% endtest %}

{% test expression_is_true(model, expression) %}
    {#- The rows that break an invariant written as a SQL expression (nulls are the not_null tests' job). -#}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}

{% test exactly_one_row(model) %}
    select row_count
    from (select count(*) as row_count from {{ model }}) as counted
    where row_count <> 1
{% endtest %}

{% test value_between(model, column_name, min_value, max_value) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
