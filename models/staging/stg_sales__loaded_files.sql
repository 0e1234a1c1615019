{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='source_file',
    on_schema_change='fail'
) }}

{#- One row per raw file loaded into the warehouse: its size and modification time when it was loaded,
    and its rows counted straight from the file (independently of stg_sales__validated, for the
    reconciliation). An incremental run counts only the new files. The runner compares this table with the
    files it is about to read and forces a full refresh when a loaded file vanished or changed. -#}

{#- The raw path, taken from the source's rendered read_csv(...) call at run time; the reader and the
    spec text come from the input spec (macros/input_spec.sql), as in stg_sales__validated. -#}
{%- set spec = input_spec() -%}
{%- set raw_path = raw_sales_path() if execute else '' %}
{%- set loaded_files = loaded_source_files(this) %}

with new_file_rows as (

    select
        filename as source_file,
        count(*) as raw_row_count
    from {{ raw_sales(spec) }} as raw_rows
    {%- if is_incremental() %}
    -- The constant list lets DuckDB skip the loaded files instead of reading them all to count the new
    -- ones (the subquery decides; the list is only an optimisation, as in stg_sales__validated).
    where {{ not_loaded_yet('filename', loaded_files, this) }}
    {%- endif %}
    group by filename

),

file_stats as (

    {{ raw_file_stats(raw_path) }}

)

select
    new_file_rows.source_file,
    file_stats.file_bytes,
    file_stats.file_modified_at,
    new_file_rows.raw_row_count,
    nullif('{{ var("as_of_date") }}', '') as as_of_date,
    -- The input spec the rows were read with (null = the default columns): the runner rebuilds from
    -- scratch when it changes, since the loaded rows were judged by the old one.
    nullif('{{ env_var("SALESDW_INPUT_SPEC", "") | replace("'", "''") }}', '') as input_spec,
    {% if is_incremental() -%}
        (select coalesce(max(load_id), 0) + 1 from {{ this }})
    {%- else -%}
        1
    {%- endif %} as load_id
from new_file_rows
left join file_stats
    on new_file_rows.source_file = file_stats.source_file
