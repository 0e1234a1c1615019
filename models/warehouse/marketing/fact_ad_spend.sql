{#- One row per day x channel x campaign of clean ad spend (what the platforms report). -#}

with spend as (

    select
        spend_date,
        channel,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        conversions,
        spend,
        source_file
    from {{ ref('stg_ad_spend__validated') }}
    where row_outcome = 'clean'

)

select
    {{ date_key('spend_date') }} as date_key,
    spend_date,
    channel,
    campaign_id,
    campaign_name,
    impressions,
    clicks,
    conversions,
    spend,
    source_file
from spend
