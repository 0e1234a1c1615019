{% macro comment_built_relations(results) -%}
    {{- return(adapter.dispatch('comment_built_relations', 'marketing_warehouse')(results)) -}}
{%- endmacro %}

{% macro spark__comment_built_relations(results) -%}
    {#- Spark: no comments (its COMMENT ON needs a table per statement and the docs site has them anyway). -#}
{%- endmacro %}

{% macro default__comment_built_relations(results) -%}
    {#- The models' and seeds' YAML descriptions as DuckDB comments (COMMENT ON), so an analyst browsing
        the warehouse sees the docs. What dbt's persist_docs does, but in one batch at the end of the run
        (on-run-end): persist_docs sends one statement per column per model, ~300 round trips that cost
        1-2 s of a 40k-order build. Only the relations this run built successfully are commented. -#}
    {%- if execute -%}
        {#- Columns that exist, with the comment they carry: a model may leave out columns its YAML documents
            when the input does not have them (stg_sales__validated's line-item columns, see
            macros/input_spec.sql); a comment already in place (an incremental model or a seed that was
            not recreated) is not written again, so a daily build writes the comments of the tables it
            replaced only. -#}
        {%- set existing = {} -%}
        {%- for row in run_query(
            "select lower(table_name || '.' || column_name), coalesce(comment, '') from duckdb_columns() "
            ~ "where database_name = '" ~ target.database ~ "' "
            ~ "union all select lower(table_name), coalesce(comment, '') from duckdb_tables() "
            ~ "where database_name = '" ~ target.database ~ "' "
            ~ "union all select lower(view_name), coalesce(comment, '') from duckdb_views() "
            ~ "where database_name = '" ~ target.database ~ "'"
        ).rows -%}
            {%- do existing.update({row[0]: row[1]}) -%}
        {%- endfor -%}
        {%- set statements = [] -%}
        {%- for result in results
            if result.status == 'success' and result.node.resource_type in ('model', 'seed') -%}
            {%- set node = result.node -%}
            {%- set kind = 'view' if node.config.materialized == 'view' else 'table' -%}
            {%- if node.description
                and existing.get(node.alias | lower, none) != node.description | trim -%}
                {%- do statements.append(
                    'comment on ' ~ kind ~ ' ' ~ node.relation_name ~ ' is ' ~ sql_string(node.description)
                ) -%}
            {%- endif -%}
            {%- for column in node.columns.values() if column.description -%}
                {%- set current = existing.get((node.alias ~ '.' ~ column.name.strip('"')) | lower, none) -%}
                {%- if current is not none and current != column.description | trim -%}
                    {%- do statements.append(
                        'comment on column ' ~ node.relation_name ~ '.' ~ adapter.quote(column.name)
                        ~ ' is ' ~ sql_string(column.description)
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if statements -%}
            {#- One transaction: each COMMENT ON in autocommit mode is its own commit (measured: 600
                comments 1.8 s alone, 0.8 s in one transaction). -#}
            {%- do run_query('begin transaction;\n' ~ statements | join(';\n') ~ ';\ncommit') -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro sql_string(text) -%}
    '{{ text | trim | replace("'", "''") }}'
{%- endmacro %}
