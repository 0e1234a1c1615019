{#- The `table` and `view` materializations on DuckDB, leaner than dbt-duckdb's: one `create or replace ...
    as` inside the model's transaction, where dbt-duckdb creates an intermediate relation, (for a table)
    lists the database's indexes, renames the old relation to a backup and the new one into place, commits
    and drops the backup: three or four statements more, each a round trip through dbt's Python with its
    events, on every table and view of every build (DECISIONS.md, "The daily build"). The result is the
    same relation: a failed statement rolls the transaction back and leaves the old one, and views resolve
    the relations they read by name. Python models (the CLV fits) replace the old table in the same
    transaction. dbt-duckdb's extras for contracts, indexes, grants, partitioning and sorting, which this
    project does not use, are refused in words. Spark keeps dbt-spark's materializations. -#}
{% materialization table, adapter='duckdb', supported_languages=['sql', 'python'] %}
    {%- for setting in ['indexes', 'grants', 'partitioned_by', 'sorted_by'] if config.get(setting) -%}
        {%- do exceptions.raise_compiler_error(
            "the project's table materialization (macros/materializations/duckdb.sql) does not support "
            ~ setting ~ "; model " ~ model.name) -%}
    {%- endfor -%}
    {%- if model.contract.enforced -%}
        {%- do exceptions.raise_compiler_error(
            "the project's table materialization does not enforce contracts; model " ~ model.name) -%}
    {%- endif -%}
    {%- set language = model['language'] -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if existing_relation is not none and (language == 'python' or not existing_relation.is_table) %}
        {{ drop_relation_if_exists(existing_relation) }}
    {%- endif %}

    {% call statement('main', language=language) -%}
        {%- if language == 'python' -%}
            {{- create_table_as(False, target_relation, compiled_code, language) -}}
        {%- else -%}
            create or replace table {{ target_relation }} as (
                {{ compiled_code }}
            )
        {%- endif -%}
    {%- endcall %}
    {%- if existing_relation is none or not existing_relation.is_table or language == 'python' %}
        {% do adapter.cache_added(target_relation) %}
    {%- endif %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% materialization view, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- if existing_relation is not none and not existing_relation.is_view %}
        {{ drop_relation_if_exists(existing_relation) }}
    {%- endif %}

    {% call statement('main') -%}
        create or replace view {{ target_relation }} as (
            {{ compiled_code }}
        )
    {%- endcall %}
    {%- if existing_relation is none or not existing_relation.is_view %}
        {% do adapter.cache_added(target_relation) %}
    {%- endif %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- dbt's `test` materialization, with the test's query outside a transaction: a data test only reads, and
    dbt's BEGIN before it and ROLLBACK after it are two more round trips through dbt's Python on each of the
    ~110 test nodes of a build. With --store-failures dbt's own materialization runs unchanged. -#}
{%- materialization test, adapter='duckdb' -%}
    {%- if should_store_failures() -%}
        {{- return(dbt.materialization_test_default()) -}}
    {%- endif -%}
    {%- set limit = config.get('limit') -%}
    {%- set sql_header = config.get('sql_header') if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS else none -%}
    {%- set main_sql = get_limit_subquery_sql(sql, limit) -%}
    {% call statement('main', fetch_result=True, auto_begin=False) -%}
        {% if sql_header %}{{ sql_header }}{% endif %}
        {{ get_test_sql(main_sql, config.get('fail_calc'), config.get('warn_if'), config.get('error_if'), limit=none) }}
    {%- endcall %}
    {{ return({'relations': []}) }}
{%- endmaterialization -%}
