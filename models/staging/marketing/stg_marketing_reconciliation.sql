{{ config(materialized='table') }}

{#- One row per marketing source kind (ad_spend, touchpoints), with or without files: records counted per file
    when it was loaded (stg_marketing__loaded_files) beside the clean, rejected and collapsed-duplicate counts
    of the validation models now, so raw = clean + rejected + collapsed can be tested. -#}

with source_kinds as (

    select 'ad_spend' as source_kind
    union all
    select 'touchpoints'

),

loaded_files as (

    select
        source_kind,
        sum(raw_row_count) as raw_row_count,
        count(*) as source_file_count
    from {{ ref('stg_marketing__loaded_files') }}
    group by source_kind

),

outcomes as (

    {%- for kind, model in [('ad_spend', 'stg_ad_spend__validated'), ('touchpoints', 'stg_touchpoints__validated')] %}
    select
        '{{ kind }}' as source_kind,
        count(*) filter (where row_outcome = 'clean') as clean_row_count,
        count(*) filter (where row_outcome = 'rejected') as rejected_row_count,
        count(*) filter (where row_outcome = 'collapsed_duplicate') as collapsed_duplicate_count
    from {{ ref(model) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

counted as (

    select
        source_kinds.source_kind,
        coalesce(loaded_files.raw_row_count, 0) as raw_row_count,
        coalesce(outcomes.clean_row_count, 0) as clean_row_count,
        coalesce(outcomes.rejected_row_count, 0) as rejected_row_count,
        coalesce(outcomes.collapsed_duplicate_count, 0) as collapsed_duplicate_count,
        coalesce(loaded_files.source_file_count, 0) as source_file_count
    from source_kinds
    left join loaded_files
        on source_kinds.source_kind = loaded_files.source_kind
    left join outcomes
        on source_kinds.source_kind = outcomes.source_kind

)

select
    source_kind,
    raw_row_count,
    clean_row_count,
    rejected_row_count,
    collapsed_duplicate_count,
    source_file_count,
    raw_row_count = clean_row_count + rejected_row_count + collapsed_duplicate_count as is_reconciled
from counted
