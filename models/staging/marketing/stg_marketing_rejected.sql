{#- One row per rejected marketing record (the quarantine of both kinds): where it came from, the record as
    delivered and the reason. Nothing is dropped silently; fix the file and rebuild to bring the rows back. -#}

with spend_rejected as (

    select
        'ad_spend' as source_kind,
        source_file,
        source_format,
        coalesce(
            raw_line,
            'date=' || coalesce({{ raw_text('raw_date', 'spend_date') }}, '')
            || ', channel=' || coalesce({{ raw_text('raw_channel', 'channel') }}, '')
            || ', campaign_id=' || coalesce({{ raw_text('raw_campaign_id', 'campaign_id') }}, '')
            || ', campaign_name=' || coalesce({{ raw_text('raw_campaign_name', 'campaign_name') }}, '')
            || ', impressions=' || coalesce({{ raw_text('raw_impressions', 'impressions') }}, '')
            || ', clicks=' || coalesce({{ raw_text('raw_clicks', 'clicks') }}, '')
            || ', conversions=' || coalesce({{ raw_text('raw_conversions', 'conversions') }}, '')
            || ', spend=' || coalesce({{ raw_text('raw_spend', 'spend') }}, '')
        ) as raw_record,
        rejection_reason
    from {{ ref('stg_ad_spend__validated') }}
    where row_outcome = 'rejected'

),

touch_rejected as (

    select
        'touchpoints' as source_kind,
        touches.source_file,
        -- Staging keeps the format per file only.
        loaded_files.source_format,
        -- Already the record as delivered (touch_raw_record(), written by staging for rejected records only).
        touches.raw_record,
        touches.rejection_reason
    from {{ ref('stg_touchpoints__validated') }} as touches
    left join {{ ref('stg_marketing__loaded_files') }} as loaded_files
        on touches.source_file = loaded_files.source_file
    where touches.row_outcome = 'rejected'

),

reasons as (

    select
        rejection_reason,
        description
    from {{ ref('marketing_rejection_reasons') }}

),

rejected as (

    select * from spend_rejected
    union all
    select * from touch_rejected

)

select
    rejected.source_kind,
    rejected.source_file,
    rejected.source_format,
    rejected.raw_record,
    rejected.rejection_reason,
    reasons.description as rejection_description
from rejected
left join reasons
    on rejected.rejection_reason = reasons.rejection_reason
