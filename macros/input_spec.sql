{#- The input spec: how to read a sales export that does not follow the default columns (README, "Your own
    data"). Its YAML (or JSON) text is in the SALESDW_INPUT_SPEC environment variable; empty means the
    default contract (a comma-separated file with `Unnamed: 0, Date, Customer ID, Order ID, Sales`).
    The runner validates a spec file before dbt starts (salesdw/inputs/spec.py), fills in the sniffed CSV
    delimiter and passes it here; a plain `dbt build` user passes the file's text:
        SALESDW_INPUT_SPEC="$(cat spec.yml)" SALES_RAW_PATH=/abs/sales.csv dbt build
    Everything here is decided at compile time, so a file only pays for what its spec asks for: no
    quantity -> no line arithmetic, no `rows: lines` -> no line fingerprints, a row index -> no row
    numbering. -#}

{% macro default_input_columns() -%}
    {{ return({
        'row_index': 'Unnamed: 0',
        'order_date': 'Date',
        'customer_id': 'Customer ID',
        'order_id': 'Order ID',
        'amount': 'Sales',
    }) }}
{%- endmacro %}

{% macro input_spec() -%}
    {#- The spec with its defaults applied (one dict; staging reads nothing else about the input). -#}
    {%- set text = env_var('SALESDW_INPUT_SPEC', '') -%}
    {%- set given = (fromyaml(text) if text | trim else none) or {} -%}
    {%- set columns = given.get('columns') or default_input_columns() -%}
    {%- set spec = {
        'format': given.get('format') or 'csv',
        'delimiter': given.get('delimiter', ',' if not given else none),
        'header': given.get('header', true),
        'date_format': given.get('date_format'),
        'decimal_separator': given.get('decimal_separator') or '.',
        'has_returns': given.get('has_returns', false),
        'rows': given.get('rows') or ('lines' if 'quantity' in columns else 'orders'),
        'columns': columns,
    } -%}
    {{ return(spec) }}
{%- endmacro %}

{% macro raw_sales_path() -%}
    {{- return(adapter.dispatch('raw_sales_path', 'marketing_warehouse')()) -}}
{%- endmacro %}

{% macro spark__raw_sales_path() -%}
    {{- return(raw_sales_location()) -}}
{%- endmacro %}

{% macro default__raw_sales_path() -%}
    {#- The raw path (file, glob or the runner's absolute path), taken from the source's rendered
        read_csv('...') call: SALES_RAW_PATH is read in one place, models/staging/_staging.yml. -#}
    {{ return((source('raw', 'sales') | string).split("'")[1]) }}
{%- endmacro %}

{% macro raw_sales(spec) -%}
    {{- adapter.dispatch('raw_sales', 'marketing_warehouse')(spec) -}}
{%- endmacro %}

{% macro spark__raw_sales(spec) -%}
    {#- Spark: the source table that register_raw_sources() (macros/spark_engine.sql) declares over the raw
        CSV file(s), with the file each row came from as `filename` (the path without Spark's `file:`
        scheme, as DuckDB names it). Only a comma-separated file with a header and a row index column,
        the default contract, is read on Spark; another input spec stops the build with words. -#}
    {%- if not (spec.format == 'csv' and spec.delimiter == ',' and spec.header and 'row_index' in spec.columns) -%}
        {{- exceptions.raise_compiler_error(
            "The Spark engine reads only comma-separated files with a header and a row index column "
            ~ "(the default input); this input spec asks for " ~ spec.format ~ ": build it with --engine duckdb") -}}
    {%- endif -%}
    (select raw_table.*, {{ spark_file_path('raw_table._metadata.file_path') }} as filename
    from {{ source('raw', 'sales') }} as raw_table)
{%- endmacro %}

{% macro default__raw_sales(spec) -%}
    {#- The relation staging reads the raw rows from. A comma-separated file with a header is the
        declared source itself (its read_csv options are pinned in _staging.yml; dbt unit tests replace
        it with their fixture rows). Other shapes get their reader here, every field as text where the
        format allows it: read_parquet keeps the file's types (staging casts the fields it reads) and a
        JSON-lines file is read as one JSON object per line (fields taken with ->>, always text).
        Without a row_index column, rows are numbered in the file (`with ordinality` for CSV and JSON
        lines, file_row_number for Parquet): the number is the row's position, stable across loads. -#}
    {%- set numbered = 'row_index' not in spec.columns -%}
    {%- if spec.format == 'csv' and spec.delimiter == ',' and spec.header -%}
        {{ source('raw', 'sales') }}{{ ' with ordinality' if numbered }}
    {%- else -%}
        {%- set path = raw_sales_path() | replace("'", "''") -%}
        {%- if spec.format == 'parquet' -%}
            read_parquet('{{ path }}', filename = true, union_by_name = true, file_row_number = true)
        {%- elif spec.format == 'jsonl' -%}
            read_ndjson_objects('{{ path }}', filename = true){{ ' with ordinality' if numbered }}
        {%- else -%}
            read_csv('{{ path }}', all_varchar = true, header = {{ 'true' if spec.header else 'false' }},
                {%- if spec.delimiter %} delim = '{{ spec.delimiter | replace("'", "''") }}',{% endif %}
                quote = '"', escape = '"', encoding = '{{ env_var("SALES_RAW_ENCODING", "utf-8") }}',
                filename = true, union_by_name = {{ 'true' if spec.header else 'false' }}){{ ' with ordinality' if numbered }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro raw_field(spec, name) -%}
    {#- One field of a raw row as text: a column by name (or by 1-based position in a CSV file without a
        header), a Parquet column cast to text, a JSON field (a top-level key, or a JSONPath such as
        $.customer.email). -#}
    {%- if spec.format == 'jsonl' -%}
        json ->> '{{ (name if name is string and name.startswith('$') else '$."' ~ name ~ '"') | replace("'", "''") }}'
    {%- elif spec.format == 'csv' and not spec.header -%}
        #{{ name | int }}
    {%- elif spec.format == 'parquet' -%}
        cast("{{ name | replace('"', '""') }}" as string)
    {%- else -%}
        {{ quote_column(name) }}
    {%- endif -%}
{%- endmacro %}

{% macro raw_row_number(spec) -%}
    {#- The row's 1-based position in its file, when the file has no row_index column. `with ordinality`
        numbers the rows of one scan in file order (checked on multi-file and multi-threaded reads), so
        the position in the file is the number less the file's first number. -#}
    {%- if spec.format == 'parquet' -%}
        file_row_number + 1
    {%- else -%}
        ordinality - min(ordinality) over (partition by filename) + 1
    {%- endif -%}
{%- endmacro %}

{% macro row_fingerprint(spec) -%}
    {#- The whole raw row (every column, mapped or not, except the file name and the row's number or
        index), hashed: two lines of an invoice are exact duplicates only when every field of the export is
        the same, product columns included. JSON: the line's object as read. -#}
    {%- if spec.format == 'jsonl' -%}
        md5(json)
    {%- else -%}
        {%- set excluded = ['filename'] -%}
        {%- if spec.format == 'parquet' -%}{%- do excluded.append('file_row_number') -%}{%- endif -%}
        {%- if 'row_index' not in spec.columns and spec.format != 'parquet' -%}
            {%- do excluded.append('ordinality') -%}
        {%- elif 'row_index' in spec.columns and spec.header -%}
            {%- do excluded.append('"' ~ (spec.columns.row_index | replace('"', '""')) ~ '"') -%}
        {%- endif -%}
        md5(to_json(struct_pack(*columns(* exclude ({{ excluded | join(', ') }})))))
    {%- endif -%}
{%- endmacro %}

{% macro cancellation_prefixes() -%}
    {#- The var cancellation_order_id_prefixes as a constant list of texts (a DuckDB list, a Spark array),
        checked first: a list of non-empty prefixes without quotes or backslashes. -#}
    {%- set prefixes = var('cancellation_order_id_prefixes') -%}
    {%- set is_list = prefixes is iterable and prefixes is not string and prefixes is not mapping -%}
    {%- set check = namespace(valid=is_list) -%}
    {%- for prefix in (prefixes if check.valid else []) -%}
        {%- if prefix is not string or prefix == '' or "'" in prefix or '\\' in prefix -%}
            {%- set check.valid = false -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not check.valid -%}
        {{ exceptions.raise_compiler_error(
            "The var cancellation_order_id_prefixes must be a list of non-empty texts without quotes or "
            ~ "backslashes, such as [\"C\"], or [] when no order id marks a cancellation; it is "
            ~ tojson(prefixes) ~ "."
        ) }}
    {%- endif -%}
    {{- adapter.dispatch('string_list', 'marketing_warehouse')(prefixes) -}}
{%- endmacro %}

{% macro default__string_list(texts) -%}
    cast([{% for text in texts %}'{{ text }}'{{ ', ' if not loop.last }}{% endfor %}] as varchar[])
{%- endmacro %}

{% macro spark__string_list(texts) -%}
    cast(array({% for text in texts %}'{{ text }}'{{ ', ' if not loop.last }}{% endfor %}) as array<string>)
{%- endmacro %}

{% macro is_cancellation(order_id_column, prefixes) -%}
    {{- adapter.dispatch('is_cancellation', 'marketing_warehouse')(order_id_column, prefixes) -}}
{%- endmacro %}

{% macro spark__is_cancellation(order_id_column, prefixes) -%}
    exists(
        {{ prefixes }},
        prefix -> startswith({{ order_id_column }}, prefix)
            and substr({{ order_id_column }}, length(prefix) + 1) rlike '^[0-9]+$'
    )
{%- endmacro %}

{% macro default__is_cancellation(order_id_column, prefixes) -%}
    {#- A cancellation invoice: the order id is a prefix of the var cancellation_order_id_prefixes followed
        by digits (C536379), so an id such as CA-2016-152156 is not one. -#}
    len(list_filter(
        {{ prefixes }},
        lambda prefix: case
            when starts_with({{ order_id_column }}, prefix)
                then regexp_full_match({{ order_id_column }}[length(prefix) + 1:], '[0-9]+')
            else false
        end
    )) > 0
{%- endmacro %}
