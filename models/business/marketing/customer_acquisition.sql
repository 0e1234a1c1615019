{#- One row per customer with an order when the build has marketing files (else empty): the acquisition
    channel and campaign, the last touch within lookback_days before (or on) the day of the first order, or
    '(none)'; the acquisition cohort month; and the last-touch channel of the customer's latest order (the
    channel that last led to a purchase, for win-back lists). Both are the last_touch credit of those orders
    in int_order_touches, so they agree with order_attribution by construction; one aggregation of its
    last-touch rows, no join but the tiny table of touch kinds (left joins: a kind missing there would
    fail the not_null test on acquisition_channel rather than drop the customer). -#}

with last_touches as (

    -- The last touch of every order (the '(none)' row, kind 0, of an order without one).
    select
        customer_key,
        customer_id,
        order_date,
        touch_count,
        event_time,
        touch_kind
    from {{ ref('int_order_touches') }}
    where touch_position = touch_count

),

touch_kinds as (

    select
        touch_kind,
        channel,
        campaign_id
    from {{ ref('int_touch_kinds') }}

),

per_customer as (

    -- Orders of one day share one attribution window (it is by date), so every order of the first (or the
    -- latest) order day has the same last touch: whichever row the min_by/max_by picks answers, and every
    -- column may pick its own. The touch's kind is an integer (its channel and campaign come back by a join
    -- of int_touch_kinds after the aggregation), and int_order_touches holds the text only of customer ids
    -- that are not integers (id_text_beside_key): at 10M orders the aggregation over 8M customers carries
    -- almost no text. The touch time is the only nullable one (an order without a touch) and an aggregate
    -- may skip nulls, so it is kept only when the first day's touch count says there is a touch: then every
    -- row of that day has a time and the first day's is the one found.
    select
        customer_key,
        any_value(customer_id) as customer_id_text,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        min_by(touch_kind, order_date) as acquisition_touch_kind,
        min_by(event_time, order_date) as first_order_day_touch_at,
        min_by(case when event_time is null then 0 else touch_count end, order_date)
            as touches_before_first_order,
        max_by(touch_kind, order_date) as last_touch_kind
    from last_touches
    group by customer_key

)

select
    per_customer.customer_key,
    {{ id_from_key('per_customer.customer_id_text', 'per_customer.customer_key') }} as customer_id,
    per_customer.first_order_date,
    cast({{ dbt.date_trunc('month', 'per_customer.first_order_date') }} as date) as acquisition_month,
    acquired_by.channel as acquisition_channel,
    acquired_by.campaign_id as acquisition_campaign_id,
    case
        when per_customer.touches_before_first_order > 0 then per_customer.first_order_day_touch_at
    end as acquisition_touch_at,
    per_customer.touches_before_first_order,
    per_customer.last_order_date,
    last_touched_by.channel as last_touch_channel,
    last_touched_by.campaign_id as last_touch_campaign_id
from per_customer
left join touch_kinds as acquired_by
    on per_customer.acquisition_touch_kind = acquired_by.touch_kind
left join touch_kinds as last_touched_by
    on per_customer.last_touch_kind = last_touched_by.touch_kind
