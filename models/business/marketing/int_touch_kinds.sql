{#- One row per kind of touch: each distinct (channel, campaign, event type, ad) of fact_touchpoints (a few
    hundred at most in practice), numbered from 1 in that order, plus kind 0, the '(none)' "touch" of an order
    without one. int_order_touches sorts and customer_acquisition aggregates these integers instead of four
    texts per row (~17M and ~10M rows at 10M orders), and the texts come back by a join of this table. -#}

with kinds as (

    select distinct
        {{ touch_kind_fields() }}
    from {{ ref('fact_touchpoints') }}

),

numbered as (

    -- The number sorts as the texts do: the tie-break of touches at the same time (channel, then campaign id,
    -- then event type and ad id, so the order is total).
    select
        row_number() over (order by channel, campaign_id, event_type, ad_id) as touch_kind,
        channel,
        campaign_id,
        event_type,
        ad_id
    from kinds

)

select
    touch_kind,
    channel,
    campaign_id,
    event_type,
    ad_id
from numbered

union all

select
    0 as touch_kind,
    {{ no_value_label() }} as channel,
    {{ no_value_label() }} as campaign_id,
    cast(null as {{ dbt.type_string() }}) as event_type,
    '' as ad_id
