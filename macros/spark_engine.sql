{#- Spark reads the raw files through catalog tables declared at the start of every run (on-run-start):
    DuckDB reads them with read_csv() in the source's external_location (models/staging/_staging.yml),
    which Spark ignores; there `source('raw', 'sales')` is the table raw.sales. -#}

{% macro raw_sales_location() -%}
    {#- The raw path, file or glob: SALES_RAW_PATH (the runner sets it to an absolute path), else the
        bundled sample. On a cluster it must be a path every executor reads (README, "Engines"). -#}
    {%- set path = env_var('SALES_RAW_PATH', 'data/sample/sales.csv') -%}
    {#- Spark would resolve a relative path against the table's own directory: the working directory's. -#}
    {{- return(path if path.startswith('/') or '://' in path else env_var('PWD', '.') ~ '/' ~ path) -}}
{%- endmacro %}

{% macro register_raw_sources() -%}
    {{- return(adapter.dispatch('register_raw_sources', 'marketing_warehouse')()) -}}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    {#- DuckDB reads the files in the sources' external_location: nothing to declare. -#}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {#- raw.sales: an external CSV table over the raw path, every column text (no schema inference), read
        as DuckDB reads it (header, comma, double quotes escaped by doubling, fields may span lines).
        Dropped and declared again on each run, so it always points at this run's files. -#}
    {%- if execute -%}
        {%- set path = raw_sales_location() | replace("'", "\\'") -%}
        {%- do run_query("create database if not exists raw") -%}
        {%- do run_query("drop table if exists raw.sales") -%}
        {%- do run_query(
            "create table raw.sales using csv options (path '" ~ path ~ "', header 'true', sep ',', "
            ~ "quote '\"', escape '\"', multiLine 'true', mode 'FAILFAST', "
            ~ "encoding '" ~ env_var('SALES_RAW_ENCODING', 'utf-8') ~ "')"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {#- dbt-spark's own seed loader binds values by plain string formatting, so a seed value with an apostrophe
        ("customer's") breaks its INSERT on the session method. This one writes escaped literals. -#}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
            ({%- for col_name in agate_table.column_names -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- set value = row[loop.index0] -%}
                cast({%- if value is none -%}null
                {%- elif value is number and value is not boolean -%}{{ value }}
                {%- else -%}'{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
                {%- endif %} as {{ type }}){{ ', ' if not loop.last }}
            {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}
