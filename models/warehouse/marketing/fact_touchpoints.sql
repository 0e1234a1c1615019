{{ config(materialized='view') }}

{#- One row per clean marketing touch of a person (a customer with orders or a prospect without). A view over
    the clean rows of stg_touchpoints__validated, which already holds every parsed field: at 10M orders
    (~20M touches) a table would write every touch a second time for nothing. -#}

with touches as (

    select
        customer_key,
        customer_id,
        event_time,
        touch_date,
        channel,
        campaign_id,
        event_type,
        ad_id,
        source_file,
        load_id
    from {{ ref('stg_touchpoints__validated') }}
    where row_outcome = 'clean'

)

select
    customer_key,
    -- Staging keeps the text of non-integer ids only (id_text_beside_key).
    {{ id_from_key('customer_id', 'customer_key') }} as customer_id,
    event_time,
    touch_date,
    {{ date_key('touch_date') }} as touch_date_key,
    channel,
    -- A touch without a campaign carries '(none)', so every touch has a campaign to group and sort by.
    coalesce(campaign_id, {{ no_value_label() }}) as campaign_id,
    event_type,
    ad_id,
    source_file,
    load_id
from touches
