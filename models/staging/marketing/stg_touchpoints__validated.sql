{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='append',
    on_schema_change='fail',
    post_hook="{{ collapse_identical_touches(this) }}"
) }}

{#- One row per raw touchpoint record (touchpoints*.csv and touchpoints*.jsonl): the parsed values, the verdict
    and, for rejected records, the raw text. An incremental run reads only files not loaded
    yet and appends their rows; a new touch identical to a loaded one collapses into it (touches have no id
    that could conflict, so loaded rows never change).

    Identical touches: on DuckDB the rows are written in one pass, all unflagged, and the post-hook
    (collapse_identical_touches, macros/marketing_touch_dedup.sql) flags the copies in the written table,
    which covers the full build and the incremental one alike (the first copy by load, then by file, stays
    clean). Holding every parsed row back to look for repeats first cost ~40 s of the ~95 s of this model at
    20M touches (a materialized CTE that spilled to disk; DECISIONS.md, "Where the 10M marketing time goes").
    Spark cannot update a table: there the duplicates are found in the query (always a full build). -#}

{%- set dedup_in_query = not collapses_touches_after_write() %}

{%- set loaded_files = loaded_source_files(this) %}
{%- set stored_columns = [
    'source_file', 'raw_record', 'customer_id', 'customer_key', 'event_time', 'touch_date',
    'channel', 'campaign_id', 'event_type', 'ad_id', 'row_rejection_reason'
] %}

with raw_rows as (

    {{ marketing_raw_rows(
        'touchpoints',
        source('marketing', 'touchpoints_csv'),
        source('marketing', 'touchpoints_jsonl'),
        loaded_files,
        this if is_incremental() else none
    ) }}

),

trimmed as (

    select
        source_file,
        raw_line,
        is_json_object,
        raw_event_time,
        raw_customer_id,
        raw_channel,
        raw_campaign_id,
        raw_event_type,
        raw_ad_id,
        {{ trimmed_text('raw_event_time') }} as event_time_text,
        {{ trimmed_text('raw_customer_id') }} as customer_id_text,
        {{ trimmed_text('raw_channel') }} as channel_text,
        {{ trimmed_text('raw_campaign_id') }} as campaign_id,
        {{ trimmed_text('raw_event_type') }} as event_type_text,
        {{ trimmed_text('raw_ad_id') }} as ad_id
    from raw_rows

),

parsed as (

    select
        *,
        {{ canonical_id('customer_id_text') }} as customer_id,
        {{ parse_event_time('event_time_text') }} as event_time,
        lower(channel_text) as channel,
        lower(event_type_text) as event_type
    from trimmed

),

checked as (

    select
        *,
        -- Checks run in the order of seeds/marketing_rejection_reasons.csv; the first that fails is the reason.
        case
            when not is_json_object then 'malformed_json_line'
            when customer_id_text is null then 'missing_customer_id'
            when customer_id is null then 'invalid_customer_id'
            when event_time_text is null then 'missing_event_time'
            when event_time is null then 'unparseable_event_time'
            when touch_date < date '{{ var("valid_order_date_min") }}'
                or touch_date > date '{{ var("valid_order_date_max") }}'
                then 'date_out_of_range'
            {% if var('as_of_date') -%}
            when touch_date > date '{{ var("as_of_date") }}' then 'date_after_as_of_date'
            {% endif -%}
            when channel is null then 'missing_channel'
            when length(channel) > {{ var('max_id_length') }} or channel = {{ no_value_label() }}
                then 'invalid_channel'
            when length(campaign_id) > {{ var('max_id_length') }} or campaign_id = {{ no_value_label() }}
                then 'invalid_campaign_id'
            when event_type is null then 'missing_event_type'
        end as row_rejection_reason
    from (
        select
            *,
            cast(event_time as date) as touch_date
        from parsed
    ) as dated

),

{%- if dedup_in_query %}

row_checked as {% call materialized_cte() %}

    -- (Spark) Read three times below, so computed once, and kept narrow: the record as delivered only for
    -- rejected records (a clean touch's parsed fields are all there is to know; loaded touches are never
    -- judged again). touch_hash: a 64-bit hash of the touch's identity (every parsed field), so duplicates
    -- are looked for by one integer column; equal hashes are then compared field by field.
    select
        source_file,
        case when row_rejection_reason is not null then {{ touch_raw_record() }} end as raw_record,
        customer_id,
        {{ id_key('customer_id') }} as customer_key,
        event_time,
        touch_date,
        channel,
        campaign_id,
        event_type,
        ad_id,
        row_rejection_reason,
        case
            when row_rejection_reason is null
                then {{ identity_hash(['customer_id', 'event_time', 'channel', 'campaign_id', 'event_type', 'ad_id']) }}
        end as touch_hash
    from checked

{% endcall %},

repeated_hashes as (

    -- Hashes of clean rows seen more than once among the new rows: usually none.
    select touch_hash
    from row_checked
    where touch_hash is not null
    group by touch_hash
    having count(*) > 1

),

single_rows as (

    select
        {%- for column in stored_columns %}
        {{ column }},
        {%- endfor %}
        touch_hash,
        1 as identical_row_number
    from row_checked
    where touch_hash is null
        or touch_hash not in (select touch_hash from repeated_hashes)

),

repeated_rows as (

    -- Rows sharing a hash: numbered within their exact identity (null campaign or ad id equal to null).
    select
        {%- for column in stored_columns %}
        {{ column }},
        {%- endfor %}
        touch_hash,
        row_number() over (
            partition by customer_key, event_time, channel, coalesce(campaign_id, ''), event_type,
                coalesce(ad_id, '')
            order by source_file
        ) as identical_row_number
    from row_checked
    where touch_hash in (select touch_hash from repeated_hashes)

),

candidates as (

    select * from single_rows
    union all
    select * from repeated_rows

),

judged as (

    select
        {%- for column in stored_columns %}
        candidates.{{ column }},
        {%- endfor %}
        candidates.row_rejection_reason is null
        and candidates.identical_row_number > 1 as is_collapsed_duplicate
    from candidates

)
{%- else %}

judged as (

    -- Every row as read; the post-hook flags the copies of identical touches.
    select
        {%- for column in stored_columns %}
        {%- if column == 'raw_record' %}
        case when row_rejection_reason is not null then {{ touch_raw_record() }} end as raw_record,
        {%- elif column == 'customer_key' %}
        {{ id_key('customer_id') }} as customer_key,
        {%- else %}
        {{ column }},
        {%- endif %}
        {%- endfor %}
        false as is_collapsed_duplicate
    from checked

)
{%- endif %}

select
    -- Not its format: stg_marketing__loaded_files has it per file (writing 'csv' or 'jsonl' on each of ~20M
    -- rows cost ~2.3 CPU-s).
    source_file,
    raw_record,
    -- An integer id is the digits of its key, so it is not written again (fact_touchpoints gives it back).
    {{ id_text_beside_key('customer_id', 'customer_key') }} as customer_id,
    customer_key,
    event_time,
    touch_date,
    channel,
    campaign_id,
    event_type,
    ad_id,
    row_rejection_reason as rejection_reason,
    is_collapsed_duplicate,
    case
        when row_rejection_reason is not null then 'rejected'
        when is_collapsed_duplicate then 'collapsed_duplicate'
        else 'clean'
    end as row_outcome,
    {{ marketing_load_id(this) }} as load_id
from judged
