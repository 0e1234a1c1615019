{#- Spark reads the raw files through catalog tables declared at the start of every run (on-run-start):
    DuckDB reads them with read_csv() in the source's external_location (models/staging/_staging.yml),
    which Spark ignores; there `source('raw', 'sales')` is the table raw.sales. -#}

{% macro absolute_path(path) -%}
    {#- Spark would resolve a relative path against a table's own directory: the working directory's. -#}
    {{- return(path if path.startswith('/') or '://' in path else env_var('PWD', '.') ~ '/' ~ path) -}}
{%- endmacro %}

{% macro spark_file_path(uri) -%}
    {#- A file's path as DuckDB names it (its `filename`): Spark's file URI without the `file:` scheme. -#}
    regexp_replace({{ uri }}, '^file:(//)?', '')
{%- endmacro %}

{% macro raw_sales_location() -%}
    {#- The raw path, file or glob: SALES_RAW_PATH (the runner sets it to an absolute path), else the
        bundled sample. On a cluster it must be a path every executor reads (README, "Engines"). -#}
    {{- return(absolute_path(env_var('SALES_RAW_PATH', 'data/sample/sales.csv'))) -}}
{%- endmacro %}

{% macro marketing_location() -%}
    {#- The marketing directory (SALESDW_MARKETING_DIR, as in _marketing_staging.yml); '' = none. -#}
    {%- set path = env_var('SALESDW_MARKETING_DIR', 'data/sample/marketing') -%}
    {{- return(absolute_path(path.rstrip('/')) if path else '') -}}
{%- endmacro %}

{% macro marketing_source_names() -%}
    {#- The sources of models/staging/marketing/_marketing_staging.yml (<kind>_<format> reads
        <kind>*.<format>), read from the project's graph so a new source needs no second list here. -#}
    {%- set names = [] -%}
    {%- for source in graph.sources.values() if source.source_name == 'marketing' -%}
        {%- do names.append(source.name) -%}
    {%- endfor -%}
    {{- return(names | sort) -}}
{%- endmacro %}

{% macro spark_marketing_glob(name) -%}
    {#- The glob source `name` reads in the marketing directory, as DuckDB's reader matches it. -#}
    {%- set kind, format = name.rsplit('_', 1) -%}
    {{- return(marketing_location() ~ '/' ~ kind ~ '*.' ~ format) -}}
{%- endmacro %}

{% macro spark_csv_options(path) -%}
    {#- A CSV read as DuckDB reads it: header, comma, double quotes escaped by doubling, fields may span
        lines, a malformed file fails rather than losing rows. -#}
    path '{{ path | replace("'", "\\'") }}', header 'true', sep ',', quote '"', escape '"', multiLine 'true', mode 'FAILFAST'
{%- endmacro %}

{% macro spark_marketing_files(name) -%}
    {#- The files of the marketing directory that source `name` reads (as DuckDB's glob <kind>*.<format>
        matches them), sorted; [] without a directory. Listed by Spark (binaryFile reads no content when
        its content column is not selected), so the same works on a cluster's shared file system. -#}
    {%- set directory = marketing_location() -%}
    {%- if not directory -%}{{ return([]) }}{%- endif -%}
    {%- set kind, format = name.rsplit('_', 1) -%}
    {#- One temporary view per source: dbt compiles models on several threads in one Spark session, and a
        shared name let one thread list another source's files (seen: a reconciliation off by a file). -#}
    {%- set listing = 'salesdw_marketing_listing_' ~ name -%}
    {%- do run_query(
        "create or replace temporary view " ~ listing ~ " using binaryFile options (path '"
        ~ directory | replace("'", "\\'") ~ "', pathGlobFilter '" ~ kind ~ "*." ~ format ~ "')"
    ) -%}
    {%- set listed = run_query("select " ~ spark_file_path('path') ~ " from " ~ listing) -%}
    {{ return(listed.columns[0].values() | sort) }}
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
        {%- do run_query("create database if not exists raw") -%}
        {%- do run_query("drop table if exists raw.sales") -%}
        {%- do run_query(
            "create table raw.sales using csv options (" ~ spark_csv_options(raw_sales_location())
            ~ ", encoding '" ~ env_var('SALES_RAW_ENCODING', 'utf-8') ~ "')"
        ) -%}
        {%- do register_marketing_sources() -%}
    {%- endif -%}
{%- endmacro %}

{% macro register_marketing_sources() -%}
    {#- The marketing sources as schema `marketing`, dropped and declared again on each run: a source whose
        glob matches no file is not declared (the models never read it: marketing_files is []).
        - CSV (<kind>_csv): one external table per file (its own header: the files of one kind may name or
          order their columns differently) and a view over them that lines the columns up by name, a column
          a file lacks being null (DuckDB's union_by_name), with each row's `filename`;
        - JSON lines (<kind>_jsonl): a view over the text reader, one row per line as `line`, with `filename`
          (blank lines included, as DuckDB's reader keeps them; the models skip them). -#}
    {%- do run_query("create database if not exists marketing") -%}
    {%- for row in run_query("show tables in marketing").rows if not row['isTemporary'] -%}
        {%- if modules.re.fullmatch('(' ~ marketing_source_names() | join('|') ~ ')(__[0-9]+)?', row['tableName']) -%}
            {%- do run_query("drop " ~ ('table' if '__' in row['tableName'] else 'view') ~ " if exists marketing."
                ~ row['tableName']) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in marketing_source_names() -%}
        {%- set files = spark_marketing_files(name) -%}
        {%- if files and name.endswith('_csv') -%}
            {%- set columns = [] -%}
            {%- set file_columns = [] -%}
            {%- for path in files -%}
                {%- set table = 'marketing.' ~ name ~ '__' ~ loop.index -%}
                {%- do run_query(
                    "create table " ~ table ~ " using csv options (" ~ spark_csv_options(path) ~ ")"
                ) -%}
                {%- set names = [] -%}
                {%- for column in adapter.get_columns_in_relation(api.Relation.create(schema='marketing', identifier=name ~ '__' ~ loop.index)) -%}
                    {%- do names.append(column.name) -%}
                    {%- if column.name | lower not in columns | map('lower') | list -%}
                        {%- do columns.append(column.name) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- do file_columns.append((table, names | map('lower') | list)) -%}
            {%- endfor -%}
            {%- set selects = [] -%}
            {%- for table, present in file_columns -%}
                {%- set fields = [] -%}
                {%- for column in columns -%}
                    {%- do fields.append(quote_column(column) if column | lower in present
                        else 'cast(null as string) as ' ~ quote_column(column)) -%}
                {%- endfor -%}
                {%- do selects.append("select " ~ fields | join(', ') ~ ", " ~ spark_file_path('_metadata.file_path')
                    ~ " as filename from " ~ table) -%}
            {%- endfor -%}
            {%- do run_query("create view marketing." ~ name ~ " as " ~ selects | join(' union all ')) -%}
        {%- elif files -%}
            {%- do run_query(
                "create view marketing." ~ name ~ " as select value as line, "
                ~ spark_file_path('_metadata.file_path') ~ " as filename from text.`"
                ~ spark_marketing_glob(name) | replace('`', '``') ~ "`"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
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
