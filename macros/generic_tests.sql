{#- Generic data tests of our own (no dbt packages can be installed offline). Each is one query and one
    dbt node, so a model's invariants cost one scan instead of one per column. -#}

{% test primary_key(model, column_name) %}
    {#- unique and not_null: the rows of duplicated or null keys, one per key with its count (repeated keys
        found by a sort on DuckDB, repeated_key_rows: about half a group-by's CPU at millions of keys). -#}
    select
        {{ column_name }},
        count(*) as row_count
    from {{ model }}
    where {{ column_name }} is null
    group by {{ column_name }}

    union all

    {{ repeated_key_rows(model, [column_name], column_name ~ ' is not null') }}
{% endtest %}

{% test one_row_per_key_of(model, column_name, to, field, or_empty=false) %}
    {#- The model has exactly one row per row of its parent `to`, whose `field` is unique and not null (tested
        on the parent): every key of the parent is in the model, and the model has as many rows as the
        parent. Then each of the parent's n distinct keys occurs at least once among the model's n rows, so
        exactly once, and no row is left for a null, doubled or unknown key. One anti-join and two row counts
        instead of an aggregation of the model's keys plus a full outer join: 8M-row customer tables at 10M
        orders, 3.8 s -> 1.3 s (DECISIONS.md, "Data tests of the daily build"). Returns a row per parent key
        missing from the model (model_rows and parent_rows null) and one row when the counts differ
        (key_value null). or_empty: the model may also have no row at all (customer_acquisition without
        marketing files), but never only some. -#}
    with row_counts as (
        select
            (select count(*) from {{ model }}) as model_rows,
            (select count(*) from {{ to }}) as parent_rows
    )

    select
        parent_keys.key_value,
        cast(null as bigint) as model_rows,
        cast(null as bigint) as parent_rows
    from (select {{ field }} as key_value from {{ to }}) as parent_keys
    where not exists (
        select 1
        from {{ model }} as model_keys
        where model_keys.{{ column_name }} = parent_keys.key_value
    )
    {%- if or_empty %}
        and (select model_rows from row_counts) > 0
    {%- endif %}

    union all

    select
        null as key_value,
        model_rows,
        parent_rows
    from row_counts
    where model_rows <> parent_rows
    {%- if or_empty %}
        and model_rows > 0
    {%- endif %}
{% endtest %}

{% test unique_combination(model, columns) %}
    {#- The columns together identify a row (the grain key of a model with a composite key): each repeated
        combination with its count (repeated_key_rows). -#}
    {{ repeated_key_rows(model, columns) }}
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

{#- Data tests of the incremental models (fact_sales, dim_customer) that check, in a daily build, only the keys
    the latest load touched. Why that still proves the invariant of the whole table, and when they check
    the whole table instead: DECISIONS.md, "Data tests of the daily build". -#}

{% macro latest_load_keys(load_keys) -%}
    {#- The keys of the latest load (macros/incremental_loads.sql): the only keys an incremental build of the
        model deletes or inserts. `orders`: order ids; `customers`: customer keys. -#}
    {%- if load_keys == 'orders' -%}
        {{ orders_of_latest_load() }}
    {%- elif load_keys == 'customers' -%}
        {{ customers_of_latest_load() }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("load_keys must be 'orders' or 'customers', not '" ~ load_keys ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{% macro tests_check_the_latest_load() -%}
    {#- True when an incremental data test may check only the latest load's keys: a DuckDB `dbt build`
        without --full-refresh, run by the runner after it found that the published warehouse the working
        copy starts from is the file its own last build published, with this same code and every data test
        (salesdw/pipeline/unchanged.py, may_scope_data_tests). Anything else (`dbt test`, a plain
        `dbt build`, a full refresh, a changed code or warehouse) checks the whole table. Read at run time
        only (`execute`): the environment variable never enters dbt's parse. -#}
    {{- return(
        execute
        and target.type == 'duckdb'
        and flags.WHICH == 'build'
        and not flags.FULL_REFRESH
        and env_var('SALESDW_TEST_SCOPE', '') == 'latest_load'
    ) -}}
{%- endmacro %}

{% test incremental_unique(model, column_name, load_keys) %}
    {#- dbt's `unique` for the key of an incremental model: the keys held by more than one row. In a daily
        build, only the rows whose key the latest load touched (their keys are unique among themselves and
        absent from the other rows): 10M orders, 2.7 s -> 0.5 s. -#}
    {%- set latest_keys = latest_load_keys(load_keys) %}
    {%- set condition -%}
        {{ column_name }} is not null
        {%- if tests_check_the_latest_load() %} and {{ column_name }} in ({{ latest_keys }}){% endif %}
    {%- endset %}
    select
        {{ column_name }} as unique_field,
        row_count as n_records
    from (
        {#- The rows of a repeated key are counted without the latest-load filter: it keeps a key's rows
            together (all or none), so the count is the same. #}
        {{ repeated_key_rows(model, [column_name], condition, column_name ~ ' is not null') }}
    ) as repeated
{% endtest %}

{% test incremental_relationships(model, column_name, to, field, load_keys) %}
    {#- dbt's `relationships` for a column of an incremental model whose parent is incremental on the same keys
        (fact_sales.customer_key -> dim_customer): the values without a parent row. In a daily build, only
        the rows whose value the latest load touched: 10M orders, 1.5 s -> 0.3 s. -#}
    {%- set latest_keys = latest_load_keys(load_keys) %}
    select child.{{ column_name }} as from_field
    from {{ model }} as child
    left join {{ to }} as parent
        on child.{{ column_name }} = parent.{{ field }}
    where child.{{ column_name }} is not null
        and parent.{{ field }} is null
    {%- if tests_check_the_latest_load() %}
        and child.{{ column_name }} in ({{ latest_keys }})
    {%- endif %}
{% endtest %}
