{#- Reading the optional marketing files (models/staging/marketing). Each source is a glob in the marketing
    directory (SALESDW_MARKETING_DIR; empty = no marketing files). DuckDB's readers fail on a glob that matches
    nothing, so the models ask at compile time which files exist and read only those; with none they select
    from a typed empty relation. -#}

{% macro marketing_fields(kind) -%}
    {#- The documented mapping from raw keys (CSV columns or JSON keys) to staging fields: a field takes the
        first of its keys that is present and not empty. The click-tracking JSON shape
        {"campaign_id", "user_id", "source", "ad_id", "timestamp"} maps user_id -> customer_id,
        source -> channel, timestamp -> event_time; a row that uses user_id and has no event_type is a click. -#}
    {%- set fields = {
        'ad_spend': [
            {'name': 'date', 'keys': ['date']},
            {'name': 'channel', 'keys': ['channel']},
            {'name': 'campaign_id', 'keys': ['campaign_id']},
            {'name': 'campaign_name', 'keys': ['campaign_name']},
            {'name': 'impressions', 'keys': ['impressions']},
            {'name': 'clicks', 'keys': ['clicks']},
            {'name': 'conversions', 'keys': ['conversions']},
            {'name': 'spend', 'keys': ['spend']},
        ],
        'touchpoints': [
            {'name': 'event_time', 'keys': ['event_time', 'timestamp']},
            {'name': 'customer_id', 'keys': ['customer_id', 'user_id']},
            {'name': 'channel', 'keys': ['channel', 'source']},
            {'name': 'campaign_id', 'keys': ['campaign_id']},
            {'name': 'event_type', 'keys': ['event_type'], 'click_tracking_default': 'click'},
            {'name': 'ad_id', 'keys': ['ad_id']},
        ],
    } -%}
    {{ return(fields[kind]) }}
{%- endmacro %}

{% macro touch_raw_record() -%}
    {#- A touchpoint record as delivered, in one text (stg_touchpoints__validated keeps it for rejected records
        only, as stg_marketing_rejected shows it): the JSON line itself, or the CSV fields as
        `event_time=..., customer_id=..., ...` (a missing field empty). One column rather than one per raw
        field: at 20M touches each all-null text column cost ~0.7 CPU-s to write. -#}
    coalesce(
        raw_line,
        {%- for field in marketing_fields('touchpoints') %}
        '{{ ", " if not loop.first }}{{ field.name }}=' || coalesce(raw_{{ field.name }}, '')
        {{- " ||" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro click_tracking_key() -%}
    {#- The key that marks a row in the click-tracking shape. -#}
    {{ return('user_id') }}
{%- endmacro %}

{% macro marketing_glob(relation) -%}
    {{- return(adapter.dispatch('marketing_glob', 'marketing_warehouse')(relation)) -}}
{%- endmacro %}

{% macro default__marketing_glob(relation) -%}
    {#- The path glob inside a marketing source's rendered reader call: read_csv('<glob>', ...). -#}
    {{ return((relation | string).split("'")[1]) }}
{%- endmacro %}

{% macro spark__marketing_glob(relation) -%}
    {#- The same glob on Spark, where the source is a view (macros/spark_engine.sql): <kind>*.<format>. -#}
    {{ return(spark_marketing_glob(relation.identifier)) }}
{%- endmacro %}

{% macro marketing_files(relation) -%}
    {{- return(adapter.dispatch('marketing_files', 'marketing_warehouse')(relation)) -}}
{%- endmacro %}

{% macro spark__marketing_files(relation) -%}
    {#- As below, listed by Spark (spark_marketing_files in macros/spark_engine.sql). -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(['(parse time)']) }}
    {%- endif -%}
    {{ return(spark_marketing_files(relation.identifier)) }}
{%- endmacro %}

{% macro default__marketing_files(relation) -%}
    {#- The files the source's glob matches now (sorted), [] when the marketing directory is not set. At parse
        time (no database) and in unit tests (the source is a fixture) the source counts as present, so dbt
        records the dependency and the fixture is read. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return(['(parse time)']) }}
    {%- endif -%}
    {%- set pattern = marketing_glob(relation) -%}
    {%- if pattern.startswith('/') and pattern.split('/') | length == 2 -%}
        {#- SALESDW_MARKETING_DIR is empty: the glob is '/<name>*.csv', i.e. no marketing directory. -#}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = run_query("select file from glob('" ~ pattern | replace("'", "''") ~ "') order by file") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{% macro marketing_csv_columns(relation) -%}
    {#- The columns the CSV files of a source have (the union of their headers), read at compile time. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.dispatch('marketing_csv_columns', 'marketing_warehouse')(relation)) }}
{%- endmacro %}

{% macro default__marketing_csv_columns(relation) -%}
    {%- set described = run_query("select column_name from (describe select * from " ~ relation ~ ")") -%}
    {{ return(described.columns[0].values() | list) }}
{%- endmacro %}

{% macro spark__marketing_csv_columns(relation) -%}
    {#- The source is a view that already lines the files' headers up by name (macros/spark_engine.sql). -#}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) }}
{%- endmacro %}

{% macro marketing_raw_rows(kind, csv_relation, jsonl_relation, loaded_files=none, loaded_relation=none) -%}
    {#- One row per raw record of the files of one kind (ad_spend or touchpoints), CSV and JSON lines alike:
        source_file, source_format, raw_line (the JSON line; null for CSV), is_json_object and one text column
        raw_<field> per field of marketing_fields(kind). On an incremental run only files not in loaded_files
        (a constant list, so DuckDB prunes the others) nor in loaded_relation are read. Blank JSON lines are
        not records. With no files at all: a typed empty relation. -#}
    {%- set fields = marketing_fields(kind) -%}
    {%- set parts = [] -%}
    {%- set loaded_files = loaded_files or [] -%}
    {%- set new_file_filter = not_loaded_yet('filename', loaded_files, loaded_relation) -%}

    {%- if marketing_files(csv_relation) -%}
        {%- set present = marketing_csv_columns(csv_relation) -%}
        {%- set csv_part -%}
    select
        filename as source_file,
        'csv' as source_format,
        cast(null as string) as raw_line,
        true as is_json_object,
        {%- for field in fields %}
        {{ marketing_csv_field(field, present) }} as raw_{{ field.name }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ csv_relation }}
    where {{ new_file_filter }}
        {%- endset -%}
        {%- do parts.append(csv_part) -%}
    {%- endif -%}

    {%- if marketing_files(jsonl_relation) -%}
        {%- set keys = [] -%}
        {%- for field in fields -%}
            {%- for key in field['keys'] if key not in keys -%}{%- do keys.append(key) -%}{%- endfor -%}
        {%- endfor -%}
        {%- if kind == 'touchpoints' and click_tracking_key() not in keys -%}
            {%- do keys.append(click_tracking_key()) -%}
        {%- endif -%}
        {%- set jsonl_part -%}
    select
        source_file,
        'jsonl' as source_format,
        raw_line,
        json_values is not null as is_json_object,
        {%- for field in fields %}
        {{ marketing_json_field(field, keys) }} as raw_{{ field.name }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from (
        select
            filename as source_file,
            line as raw_line,
            {{ json_object_values('line', keys) }} as json_values
        from {{ jsonl_relation }}
        -- Blank lines are not records. A line that starts with '{' is not blank, which is decided without
        -- trimming it (trim copies every line: ~3 s at 4M JSON lines).
        where (left(line, 1) = '{' or trim(line) <> '')
            and {{ new_file_filter }}
    ) as json_records
        {%- endset -%}
        {%- do parts.append(jsonl_part) -%}
    {%- endif -%}

    {%- if not parts -%}
    select
        cast(null as string) as source_file,
        cast(null as string) as source_format,
        cast(null as string) as raw_line,
        cast(null as boolean) as is_json_object,
        {%- for field in fields %}
        cast(null as string) as raw_{{ field.name }}
        {{- "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endif -%}
    {{ parts | join('\n    union all\n') }}
{%- endmacro %}

{% macro marketing_csv_field(field, present) -%}
    {#- A field from CSV columns: the first of its keys that is present and not blank (keys no file has are
        skipped: a column that does not exist cannot be named). -#}
    {%- set columns = [] -%}
    {%- for key in field['keys'] if key in present or not execute or model.resource_type == 'unit_test' -%}
        {%- do columns.append(quote_column(key)) -%}
    {%- endfor -%}
    {%- set default_key = quote_column(click_tracking_key()) if click_tracking_key() in present else none -%}
    {{ first_non_blank(columns, field.get('click_tracking_default'), default_key) }}
{%- endmacro %}

{% macro marketing_json_field(field, keys) -%}
    {#- A field from the parsed JSON values (json_object_values). -#}
    {%- set values = [] -%}
    {%- for key in field['keys'] -%}
        {%- do values.append(json_object_value('json_values', keys, key)) -%}
    {%- endfor -%}
    {%- set default_key = json_object_value('json_values', keys, click_tracking_key())
        if click_tracking_key() in keys else none -%}
    {{ first_non_blank(values, field.get('click_tracking_default'), default_key) }}
{%- endmacro %}

{% macro first_non_blank(expressions, default_value=none, default_key=none) -%}
    {#- The first expression that is not null or blank, as it is (untrimmed: the raw text); else
        default_value when default_key holds a value (the click-tracking shape's event type); else null. A
        single expression is taken as it is (blank stays blank: the staging models treat blank as missing). -#}
    {%- set has_default = default_value and default_key -%}
    {%- if not expressions and not has_default -%}
        cast(null as string)
    {%- elif expressions | length == 1 and not has_default -%}
        {{ expressions[0] }}
    {%- else -%}
        case
            {%- for expression in expressions %}
            when {{ trimmed_text(expression) }} is not null then {{ expression }}
            {%- endfor %}
            {%- if has_default %}
            when {{ trimmed_text(default_key) }} is not null then '{{ default_value }}'
            {%- endif %}
        end
    {%- endif -%}
{%- endmacro %}

{% macro json_object_values(column, keys) -%}
    {{ return(adapter.dispatch('json_object_values')(column, keys)) }}
{%- endmacro %}

{% macro spark__json_object_values(column, keys) -%}
    {#- As below, as a map from each top-level key to its value's text (from_json gives numbers and nested
        values as their JSON text, `3.20` as 3.2 like DuckDB); null when the line is not a JSON object.
        Unlike DuckDB, Spark's parser accepts text after the closing brace and keeps the last of repeated
        keys (DECISIONS.md, "Spark"). -#}
    case
        when left(ltrim({{ column }}), 1) = '{'
            then from_json({{ column }}, 'map<string, string>')
    end
{%- endmacro %}

{% macro default__json_object_values(column, keys) -%}
    {#- The top-level keys' values of a JSON object as text (a list, 1-based in the order of keys), parsed
        once; numbers come back as their text, so {"user_id": 123} and {"user_id": "123"} read the same. Null
        when the line is not a JSON object (not JSON, cut off, an array or a bare value). -#}
    case
        when left({{ column }}, 1) = '{' or left(ltrim({{ column }}), 1) = '{'
            then try(json_extract_string(
                {{ column }},
                [{% for key in keys %}'$."{{ key }}"'{{ ", " if not loop.last }}{% endfor %}]
            ))
    end
{%- endmacro %}

{% macro json_object_value(values, keys, key) -%}
    {{ return(adapter.dispatch('json_object_value')(values, keys, key)) }}
{%- endmacro %}

{% macro default__json_object_value(values, keys, key) -%}
    {#- One key's value from json_object_values: the list is 1-based, in the order of `keys`. -#}
    {{ values }}[{{ keys.index(key) + 1 }}]
{%- endmacro %}

{% macro spark__json_object_value(values, keys, key) -%}
    try_element_at({{ values }}, '{{ key }}')
{%- endmacro %}

{% macro marketing_load_id(loaded_relation) -%}
    {#- 1 on a full build, then +1 per incremental build (as stg_sales__validated's load_id). -#}
    {%- if is_incremental() -%}
        (select coalesce(max(load_id), 0) + 1 from {{ loaded_relation }})
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}

{% macro has_loaded_marketing(loaded_files_relation) -%}
    {#- Whether the warehouse holds any marketing file (rows in stg_marketing__loaded_files, built before the
        caller), asked when the model runs so that a build without marketing never scans its sales for the
        marketing marts (~2 s at 10M orders). True whenever it cannot be asked (parsing, a unit test, a
        relation not built yet): then the model's own SQL decides, as always. -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}{{ return(true) }}{%- endif -%}
    {%- set relation = load_relation(loaded_files_relation) -%}
    {%- if relation is none -%}{{ return(true) }}{%- endif -%}
    {{ return(run_query("select count(*) from " ~ relation).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro identity_hash(columns) -%}
    {{ return(adapter.dispatch('identity_hash')(columns)) }}
{%- endmacro %}

{% macro spark__identity_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__identity_hash(columns) -%}
    {#- A 64-bit hash of several columns (nulls included), to find candidate duplicates by one integer column;
        candidates are then compared field by field, so a collision never merges two different rows. -#}
    hash({{ columns | join(', ') }})
{%- endmacro %}
