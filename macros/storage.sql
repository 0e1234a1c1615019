{#- How tables are written. DuckDB 2.0 compresses every text column with DICT_FSST, whose analysis is costly
    on unique values: writing a text id column (customer_id, order_id) cost 3-4x a BIGINT one (1M rows,
    measured), several seconds per table at 10M orders, for little gain on unique short ids. So the text id
    columns named in the uncompressed_columns var are written uncompressed (as cheap as a BIGINT), every
    other column as DuckDB chooses. DuckDB can only say so in a CREATE TABLE's column list, hence this
    override of dbt-duckdb's create_table_as for persistent SQL tables (incremental models' first build
    included): describe the query, create the table with its exact column types, insert the query's rows.
    Everything else (temporary tables, Python models, contracts, partitioned tables) is dbt-duckdb's own. -#}

{% macro duckdb__create_table_as(temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none) -%}
    {%- set uncompressed = var('uncompressed_columns', []) -%}
    {%- set contract_config = config.get('contract') -%}
    {#- Only models whose YAML documents such a column are described (a describe is one more query). -#}
    {%- set documented = (model.columns or {}).keys() | list if model is mapping else [] -%}
    {%- set is_plain = language != 'sql' or temporary or not execute
        or not (documented | select('in', uncompressed) | list)
        or (contract_config and contract_config.enforced) or partitioned_by or sorted_by -%}
    {%- set columns = [] -%}
    {%- if not is_plain -%}
        {%- set described = run_query('describe select * from (\n' ~ compiled_code ~ '\n) as model_subq') -%}
        {%- for row in described.rows -%}
            {%- do columns.append({'name': row[0], 'type': row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set targeted = columns | selectattr('name', 'in', uncompressed) | selectattr('type', 'equalto', 'VARCHAR')
        | list -%}
    {%- if is_plain or not targeted -%}
        {{ dbt.duckdb__create_table_as(temporary, relation, compiled_code, language, partitioned_by, sorted_by) }}
    {%- else -%}
        {%- set sql_header = config.get('sql_header', none) -%}
        {{ sql_header if sql_header is not none }}
        create table {{ relation }} (
            {%- for column in columns %}
            "{{ column.name | replace('"', '""') }}" {{ column.type }}
            {%- if column in targeted %} using compression uncompressed{% endif %}{{ "," if not loop.last }}
            {%- endfor %}
        );
        insert into {{ relation }}
        select * from (
            {{ compiled_code }}
        ) as model_subq;
    {%- endif -%}
{%- endmacro %}
