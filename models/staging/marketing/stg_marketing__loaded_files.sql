{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='source_file',
    on_schema_change='fail'
) }}

{#- One row per marketing file loaded into the warehouse: its kind and format, its size and modification time
    when it was loaded, and its records as the staging models read them (one validated row per raw record,
    whatever its outcome), for the reconciliation. Counted from the staging tables rather than by reading
    every file a second time (~11 s at 10M orders / 20M touches; DECISIONS.md, "Where the 10M marketing time
    goes"). An incremental run records only new files. The runner compares this table with the files it is
    about to read and forces a full refresh when a loaded file vanished or changed
    (salesdw/pipeline/incremental.py). -#}

{%- set loaded_files = loaded_source_files(this) %}
{%- set sources = [
    ('ad_spend', 'csv', source('marketing', 'ad_spend_csv')),
    ('ad_spend', 'jsonl', source('marketing', 'ad_spend_jsonl')),
    ('touchpoints', 'csv', source('marketing', 'touchpoints_csv')),
    ('touchpoints', 'jsonl', source('marketing', 'touchpoints_jsonl')),
] %}
{%- set validated = {
    'ad_spend': ref('stg_ad_spend__validated'),
    'touchpoints': ref('stg_touchpoints__validated'),
} %}
{%- set present = [] %}
{%- set new_paths = {'ad_spend': [], 'touchpoints': []} %}
{%- for kind, format, relation in sources %}
    {%- set files = marketing_files(relation) %}
    {%- if files %}
        {%- do present.append((kind, format, relation)) %}
    {%- endif %}
    {#- The files not loaded yet, as a constant list, so only their rows are counted. #}
    {%- for path in files if path not in loaded_files %}{% do new_paths[kind].append(path) %}{% endfor %}
{%- endfor %}

with files as (

    {%- for kind, format, relation in present %}
    select
        '{{ kind }}' as source_kind,
        '{{ format }}' as source_format,
        source_file,
        file_bytes,
        file_modified_at
    from (
        {{ raw_file_stats(marketing_glob(relation)) }}
    ) as file_stats
    {{ "union all" if not loop.last }}
    {%- else %}
    select
        cast(null as string) as source_kind,
        cast(null as string) as source_format,
        cast(null as string) as source_file,
        cast(null as bigint) as file_bytes,
        cast(null as {{ type_timestamp_tz() }}) as file_modified_at
    where false
    {%- endfor %}

),

new_files as (

    select *
    from files
    where {{ not_loaded_yet('source_file', loaded_files, this if is_incremental() else none) }}

),

record_counts as (

    -- The staging models keep one row per raw record (CSV data row or non-blank JSON line), clean, rejected
    -- or collapsed, each with its file: their rows of a new file are its records.
    {%- for kind in ['ad_spend', 'touchpoints'] if new_paths[kind] %}
    select
        source_file,
        count(*) as raw_row_count
    from {{ validated[kind] }}
    where source_file in ({{ sql_string_list(new_paths[kind]) }})
    group by source_file
    {{ "union all" if not loop.last }}
    {%- else %}
    select
        cast(null as string) as source_file,
        cast(null as bigint) as raw_row_count
    where false
    {%- endfor %}

)

select
    new_files.source_kind,
    new_files.source_format,
    new_files.source_file,
    new_files.file_bytes,
    new_files.file_modified_at,
    coalesce(record_counts.raw_row_count, 0) as raw_row_count,
    nullif('{{ var("as_of_date") }}', '') as as_of_date,
    {{ marketing_load_id(this) }} as load_id
from new_files
left join record_counts
    on new_files.source_file = record_counts.source_file
