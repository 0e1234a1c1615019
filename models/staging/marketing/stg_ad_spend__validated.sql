{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='spend_key',
    on_schema_change='fail'
) }}

{#- One row per raw ad-spend record (ad_spend*.csv and ad_spend*.jsonl): the raw text where it differs from the
    parsed value, the parsed values and the verdict. The grain of clean rows is day x channel x campaign
    (spend_key). Rows of one key that agree collapse into the first (by file); rows that disagree are all
    rejected as conflicting_duplicate_spend_row. Incremental like stg_sales__validated: an incremental run
    reads only new files, re-judges the loaded rows of every key they bring together with them, and replaces
    those keys (delete+insert on spend_key), so the result equals a full rebuild. -#}

{%- set loaded_files = loaded_source_files(this) %}
{%- set spend_columns = [
    'source_file', 'source_format', 'raw_line', 'raw_date', 'raw_channel', 'raw_campaign_id',
    'raw_campaign_name', 'raw_impressions', 'raw_clicks', 'raw_conversions', 'raw_spend', 'spend_date',
    'channel', 'campaign_id', 'campaign_name', 'impressions', 'clicks', 'conversions', 'spend', 'spend_key'
] %}

with raw_rows as (

    {{ marketing_raw_rows(
        'ad_spend',
        source('marketing', 'ad_spend_csv'),
        source('marketing', 'ad_spend_jsonl'),
        loaded_files,
        this if is_incremental() else none
    ) }}

),

trimmed as (

    select
        *,
        {{ trimmed_text('raw_date') }} as date_text,
        {{ trimmed_text('raw_channel') }} as channel_text,
        {{ trimmed_text('raw_campaign_id') }} as campaign_id_text,
        {{ trimmed_text('raw_impressions') }} as impressions_text,
        {{ trimmed_text('raw_clicks') }} as clicks_text,
        {{ trimmed_text('raw_conversions') }} as conversions_text,
        {{ trimmed_text('raw_spend') }} as spend_text
    from raw_rows

),

parsed as (

    select
        source_file,
        source_format,
        raw_line,
        is_json_object,
        raw_date,
        raw_channel,
        raw_campaign_id,
        raw_campaign_name,
        raw_impressions,
        raw_clicks,
        raw_conversions,
        raw_spend,
        date_text,
        impressions_text,
        clicks_text,
        conversions_text,
        spend_text,
        {{ parse_iso_date('date_text') }} as spend_date,
        lower(channel_text) as channel,
        campaign_id_text as campaign_id,
        {{ trimmed_text('raw_campaign_name') }} as campaign_name,
        {{ parse_count('impressions_text') }} as impressions,
        {{ parse_count('clicks_text') }} as clicks,
        {{ parse_count('conversions_text') }} as conversions,
        {{ parse_amount('spend_text') }} as spend_value
    from trimmed

),

checked as (

    select
        source_file,
        source_format,
        raw_line,
        raw_date,
        raw_channel,
        raw_campaign_id,
        raw_campaign_name,
        raw_impressions,
        raw_clicks,
        raw_conversions,
        raw_spend,
        spend_date,
        channel,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        conversions,
        case
            when spend_value between 0 and {{ var('max_daily_spend') }}
                then {{ money('spend_value') }}
        end as spend,
        case
            when spend_date is not null and channel is not null and campaign_id is not null
                then cast(spend_date as string) || '|' || channel || '|' || campaign_id
        end as spend_key,
        -- Checks run in the order of seeds/marketing_rejection_reasons.csv; the first that fails is the reason.
        case
            when not is_json_object then 'malformed_json_line'
            when date_text is null then 'missing_date'
            when spend_date is null then 'unparseable_date'
            when spend_date < date '{{ var("valid_order_date_min") }}'
                or spend_date > date '{{ var("valid_order_date_max") }}'
                then 'date_out_of_range'
            {% if var('as_of_date') -%}
            when spend_date > date '{{ var("as_of_date") }}' then 'date_after_as_of_date'
            {% endif -%}
            when channel is null then 'missing_channel'
            when length(channel) > {{ var('max_id_length') }} or channel = {{ no_value_label() }}
                then 'invalid_channel'
            when campaign_id is null then 'missing_campaign_id'
            when length(campaign_id) > {{ var('max_id_length') }} or campaign_id = {{ no_value_label() }}
                then 'invalid_campaign_id'
            when impressions_text is null or clicks_text is null or conversions_text is null or spend_text is null
                then 'missing_metric'
            when impressions is null or clicks is null or conversions is null
                or spend_value is null or {{ is_not_finite('spend_value') }} or spend_value < 0
                then 'invalid_metric'
            when spend_value > {{ var('max_daily_spend') }} then 'spend_out_of_range'
        end as row_rejection_reason
    from parsed

),

row_checked as (

    select
        {%- for column in spend_columns %}
        {{ column }},
        {%- endfor %}
        row_rejection_reason
    from checked
    {%- if is_incremental() %}

    union all

    -- Rows already loaded for a key that arrives again: judged again together with the new rows (their
    -- row-level reason is the stored one, except the cross-row verdict, which is recomputed).
    select
        {%- for column in spend_columns %}
        {{ column }},
        {%- endfor %}
        nullif(rejection_reason, 'conflicting_duplicate_spend_row') as row_rejection_reason
    from {{ this }}
    where spend_key in (select spend_key from checked where spend_key is not null)
    {%- endif %}

),

versions as (

    -- Keys with more than one row that passed the row checks, and whether those rows disagree.
    select
        spend_key,
        min(impressions) <> max(impressions)
        or min(clicks) <> max(clicks)
        or min(conversions) <> max(conversions)
        or min(spend) <> max(spend) as has_conflicting_versions
    from row_checked
    where row_rejection_reason is null
    group by spend_key
    having count(*) > 1

),

judged as (

    select
        row_checked.*,
        coalesce(
            row_checked.row_rejection_reason,
            case when versions.has_conflicting_versions then 'conflicting_duplicate_spend_row' end
        ) as rejection_reason,
        row_checked.row_rejection_reason is null
        and versions.spend_key is not null
        and not versions.has_conflicting_versions
        and row_number() over (
            partition by row_checked.spend_key, row_checked.row_rejection_reason is null
            order by row_checked.source_file, row_checked.campaign_name
        ) > 1 as is_collapsed_duplicate
    from row_checked
    left join versions
        on row_checked.spend_key = versions.spend_key

)

select
    source_file,
    source_format,
    -- The raw text only where it differs from the parsed value's text (the JSON line only for rejected
    -- lines); stg_marketing_rejected gives back the text as read.
    case when rejection_reason is not null then raw_line end as raw_line,
    {{ compact_raw_text('raw_date', 'spend_date') }} as raw_date,
    {{ compact_raw_text('raw_channel', 'channel') }} as raw_channel,
    {{ compact_raw_text('raw_campaign_id', 'campaign_id') }} as raw_campaign_id,
    {{ compact_raw_text('raw_campaign_name', 'campaign_name') }} as raw_campaign_name,
    {{ compact_raw_text('raw_impressions', 'impressions') }} as raw_impressions,
    {{ compact_raw_text('raw_clicks', 'clicks') }} as raw_clicks,
    {{ compact_raw_text('raw_conversions', 'conversions') }} as raw_conversions,
    {{ compact_raw_text('raw_spend', 'spend') }} as raw_spend,
    spend_date,
    channel,
    campaign_id,
    campaign_name,
    impressions,
    clicks,
    conversions,
    spend,
    spend_key,
    rejection_reason,
    coalesce(is_collapsed_duplicate, false) as is_collapsed_duplicate,
    case
        when rejection_reason is not null then 'rejected'
        when is_collapsed_duplicate then 'collapsed_duplicate'
        else 'clean'
    end as row_outcome,
    {{ marketing_load_id(this) }} as load_id
from judged
