{#- One row per time grain (day, week, month) x period x channel x campaign: what the platforms report
    (impressions, clicks, conversions, spend), the rates, and the orders and revenue attributed under each of
    the five models with ROAS and ROI. Attributed revenue is dated by the touch (the day the spend bought the
    interaction, as ad platforms date conversions); an order without a touch by its order day. A rate whose
    denominator is zero is null. Filter on time_grain: the grains are rollups of the same days, never add
    them up together. -#}

{%- set grains = ['day', 'week', 'month'] %}

with spend as (

    select
        spend_date as activity_date,
        channel,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        conversions,
        spend
    from {{ ref('fact_ad_spend') }}

),

credits as (

    select
        coalesce(cast(event_time as date), order_date) as activity_date,
        touch_kind,
        {%- for model in attribution_models() %}
        {{ attribution_credit_share(model) }} as share_{{ model }},
        {{ attribution_credit_cents(model, amount_cents('amount')) }} as cents_{{ model }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_order_touches') }}

),

kind_credits as (

    -- Summed by day and touch kind first: ~20M rows grouped by two integers, then the few hundred sums by
    -- the kind's channel and campaign.
    select
        activity_date,
        touch_kind,
        {%- for model in attribution_models() %}
        sum(share_{{ model }}) as attributed_orders_{{ model }},
        sum(cents_{{ model }}) as attributed_cents_{{ model }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from credits
    group by activity_date, touch_kind

),

daily_credits as (

    select
        kind_credits.activity_date,
        touch_kinds.channel,
        touch_kinds.campaign_id,
        {%- for model in attribution_models() %}
        sum(kind_credits.attributed_orders_{{ model }}) as attributed_orders_{{ model }},
        sum(kind_credits.attributed_cents_{{ model }}) as attributed_cents_{{ model }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from kind_credits
    inner join {{ ref('int_touch_kinds') }} as touch_kinds
        on kind_credits.touch_kind = touch_kinds.touch_kind
    group by kind_credits.activity_date, touch_kinds.channel, touch_kinds.campaign_id

),

daily as (

    select
        coalesce(spend.activity_date, daily_credits.activity_date) as activity_date,
        coalesce(spend.channel, daily_credits.channel) as channel,
        coalesce(spend.campaign_id, daily_credits.campaign_id) as campaign_id,
        spend.campaign_name,
        coalesce(spend.impressions, 0) as impressions,
        coalesce(spend.clicks, 0) as clicks,
        coalesce(spend.conversions, 0) as conversions,
        coalesce(spend.spend, 0) as spend,
        {%- for model in attribution_models() %}
        coalesce(daily_credits.attributed_orders_{{ model }}, 0) as attributed_orders_{{ model }},
        coalesce(daily_credits.attributed_cents_{{ model }}, 0) as attributed_cents_{{ model }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from spend
    full outer join daily_credits
        on spend.activity_date = daily_credits.activity_date
        and spend.channel = daily_credits.channel
        and spend.campaign_id = daily_credits.campaign_id

),

campaign_names as (

    -- One name per campaign (the latest the spend files gave it), also on days without spend.
    select
        channel,
        campaign_id,
        max_by(campaign_name, activity_date) as campaign_name
    from daily
    where campaign_name is not null
    group by channel, campaign_id

),

rolled_up as (

    {%- for grain in grains %}
    select
        '{{ grain }}' as time_grain,
        {% if grain == 'day' -%}
        activity_date
        {%- else -%}
        cast({{ dbt.date_trunc(grain, 'activity_date') }} as date)
        {%- endif %} as period_start_date,
        channel,
        campaign_id,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend) as spend,
        {%- for model in attribution_models() %}
        sum(attributed_orders_{{ model }}) as attributed_orders_{{ model }},
        sum(attributed_cents_{{ model }}) as attributed_cents_{{ model }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from daily
    group by 1, 2, 3, 4
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select
    rolled_up.time_grain,
    rolled_up.period_start_date,
    rolled_up.channel,
    rolled_up.campaign_id,
    campaign_names.campaign_name,
    rolled_up.impressions,
    rolled_up.clicks,
    rolled_up.conversions,
    rolled_up.spend,
    {{ round_double(safe_ratio('rolled_up.clicks', 'rolled_up.impressions'), 6) }} as ctr,
    {{ money(safe_ratio('rolled_up.spend', 'rolled_up.clicks')) }} as cpc,
    {{ money(safe_ratio('1000 * rolled_up.spend', 'rolled_up.impressions')) }} as cpm,
    {{ round_double(safe_ratio('rolled_up.conversions', 'rolled_up.clicks'), 6) }} as conversion_rate,
    {{ money(safe_ratio('rolled_up.spend', 'rolled_up.conversions')) }} as cpa,
    {%- for model in attribution_models() %}
    {{ round_double('rolled_up.attributed_orders_' ~ model, 4) }} as attributed_orders_{{ model }},
    cast(rolled_up.attributed_cents_{{ model }} / 100.0 as decimal(18, 2)) as attributed_revenue_{{ model }},
    {{ round_double(safe_ratio('rolled_up.attributed_cents_' ~ model ~ ' / 100.0', 'rolled_up.spend'), 4) }}
        as roas_{{ model }},
    {{ round_double(safe_ratio(
        'cast(rolled_up.attributed_cents_' ~ model ~ ' as double) / 100 - cast(rolled_up.spend as double)',
        'rolled_up.spend'
    ), 4) }} as roi_{{ model }}
    {{- "," if not loop.last }}
    {%- endfor %}
from rolled_up
left join campaign_names
    on rolled_up.channel = campaign_names.channel
    and rolled_up.campaign_id = campaign_names.campaign_id
