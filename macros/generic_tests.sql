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

{% test one_row_per_key_of(model, column_name, to, field) %}
    {#- The model has exactly one row per row of its parent: every key is not null, appears once and
        exists in `to`, and every key of `to` is present. One aggregation and one join, where primary_key
        plus relationships cost two (8M-row customer tables at 10M orders). Returns the offending keys. -#}
    with model_keys as (
        select
            {{ column_name }} as key_value,
            count(*) as row_count
        from {{ model }}
        group by {{ column_name }}
    ),

    parent_keys as (
        select {{ field }} as key_value
        from {{ to }}
    )

    select
        coalesce(model_keys.key_value, parent_keys.key_value) as key_value,
        coalesce(model_keys.row_count, 0) as row_count,
        parent_keys.key_value is not null as is_in_parent
    from model_keys
    full outer join parent_keys
        on model_keys.key_value = parent_keys.key_value
    where model_keys.key_value is null
        or parent_keys.key_value is null
        or model_keys.row_count > 1
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

{% macro max_rejected_row_share() -%}
    {#- The runner's --max-rejected-share (SALESDW_MAX_REJECTED_ROW_SHARE; an environment variable read here,
        at compile time, not a --vars override, which would force dbt to parse the project again), else the
        max_rejected_row_share var. -#}
    {{ return((env_var('SALESDW_MAX_REJECTED_ROW_SHARE', '') or var('max_rejected_row_share')) | float) }}
{%- endmacro %}

{% test input_makes_a_warehouse(model, validated) %}
    {#- The staging gate: fails (one row of counts) when the latest load's rows were all rejected, or more
        than the max_rejected_row_share var of them, or when the warehouse would hold no order at all. Attached to
        stg_sales, which every warehouse model reads, so `dbt build` skips everything downstream when it
        fails; the runner turns the failure into a screen of reasons and examples (exit 2). Two narrow
        scans of stg_sales__validated. -#}
    with latest_load as (

        select
            count(*) filter (where load_id = (select max(load_id) from {{ validated }})) as rows_read,
            count(*) filter (
                where load_id = (select max(load_id) from {{ validated }}) and row_outcome = 'rejected'
            ) as rejected_rows,
            count(*) filter (where row_outcome = 'clean') as clean_rows_in_warehouse
        from {{ validated }}

    )

    select
        rows_read,
        rejected_rows,
        clean_rows_in_warehouse
    from latest_load
    where rejected_rows = rows_read
        or rejected_rows > {{ max_rejected_row_share() }} * rows_read
        or clean_rows_in_warehouse = 0
{% endtest %}
