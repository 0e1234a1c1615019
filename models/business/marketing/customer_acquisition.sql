{#- One row per customer with an order when the build has marketing files (else empty): the acquisition
    channel and campaign, the last touch within lookback_days before (or on) the day of the first order, or
    '(none)'; the acquisition cohort month; and the last-touch channel of the customer's latest order (the
    channel that last led to a purchase, for win-back lists). Both are the last_touch credit of those orders
    in int_order_touches, so they agree with order_attribution by construction; one aggregation of its
    last-touch rows, no join. -#}

with last_touches as (

    -- The last touch of every order (the '(none)' row of an order without one).
    select
        customer_key,
        customer_id,
        order_date,
        touch_count,
        event_time,
        channel,
        campaign_id
    from {{ ref('int_order_touches') }}
    where touch_position = touch_count

),

per_customer as (

    -- Orders of one day share one attribution window (it is by date), so every order of the first (or the
    -- latest) order day has the same last touch: whichever the arg_min/arg_max picks answers. The touch is
    -- kept as one struct, so a null touch time is kept rather than skipped.
    select
        customer_key,
        any_value(customer_id) as customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        min_by(
            {{ struct_of([
                ('channel', 'channel'),
                ('campaign_id', 'campaign_id'),
                ('touched_at', 'event_time'),
                ('touches', 'case when event_time is null then 0 else touch_count end'),
            ]) }},
            order_date
        ) as acquisition,
        max_by({{ struct_of([('channel', 'channel'), ('campaign_id', 'campaign_id')]) }}, order_date) as latest
    from last_touches
    group by customer_key

)

select
    customer_key,
    customer_id,
    first_order_date,
    cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as acquisition_month,
    acquisition.channel as acquisition_channel,
    acquisition.campaign_id as acquisition_campaign_id,
    acquisition.touched_at as acquisition_touch_at,
    acquisition.touches as touches_before_first_order,
    last_order_date,
    latest.channel as last_touch_channel,
    latest.campaign_id as last_touch_campaign_id
from per_customer
