{{ config(materialized='table') }}

{#- One row per load: raw rows counted straight from the source files (stg_sales__loaded_files counts each
    file once, when it is loaded, independently of the validation model) beside the outcome counts, so
    raw = clean + returns + rejected + collapsed duplicates can be tested. -#}

with raw_rows as (

    select coalesce(sum(raw_row_count), 0) as raw_row_count
    from {{ ref('stg_sales__loaded_files') }}

),

outcomes as (

    select
        count(*) filter (where row_outcome = 'clean') as clean_row_count,
        count(*) filter (where row_outcome = 'return') as return_row_count,
        count(*) filter (where row_outcome = 'rejected') as rejected_row_count,
        count(*) filter (where row_outcome = 'collapsed_duplicate') as collapsed_duplicate_count,
        count(distinct source_file) as source_file_count
    from {{ ref('stg_sales__validated') }}

)

select
    raw_rows.raw_row_count,
    outcomes.clean_row_count,
    outcomes.return_row_count,
    outcomes.rejected_row_count,
    outcomes.collapsed_duplicate_count,
    outcomes.source_file_count,
    raw_rows.raw_row_count
    = outcomes.clean_row_count + outcomes.return_row_count + outcomes.rejected_row_count
    + outcomes.collapsed_duplicate_count
    as is_reconciled
from raw_rows
cross join outcomes
