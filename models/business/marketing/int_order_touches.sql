{{ check_attribution_vars() }}

{#- One row per order x touch in its attribution window, plus one row per order without a touch (channel
    '(none)'), with everything every attribution model needs: the touch's position among the order's touches,
    their count and the time-decay weights. The physical table behind order_attribution (a view that turns it
    into order x touch x model), channel_performance and customer_acquisition. Empty when the build has no
    marketing files.

    The window join is by customer and a date range, so each order meets only its own customer's touches of
    the lookback_days before it (never a cross join); one sort numbers the touches of every order. -#}

with orders as (

    select
        order_id,
        customer_key,
        customer_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

touches as (

    select
        customer_key,
        event_time,
        touch_date,
        channel,
        campaign_id,
        event_type,
        coalesce(ad_id, '') as ad_id
    from {{ ref('fact_touchpoints') }}

),

marketing_loaded as (

    select count(*) > 0 as has_marketing_files
    from {{ ref('stg_marketing__loaded_files') }}

),

order_touches as (

    -- Left join: an order without a touch in its window keeps one row with null touch columns.
    select
        orders.order_id,
        orders.customer_key,
        orders.customer_id,
        orders.order_date,
        orders.amount,
        touches.event_time,
        touches.channel,
        touches.campaign_id,
        touches.event_type,
        touches.ad_id,
        {{ attribution_decay_weight(dbt.datediff('touches.touch_date', 'orders.order_date', 'day')) }}
            as decay_weight
    from orders
    cross join marketing_loaded
    left join touches
        on orders.customer_key = touches.customer_key
        and touches.touch_date <= orders.order_date
        and touches.touch_date >= {{ dbt.dateadd('day', -1 * var('lookback_days'), 'orders.order_date') }}
    where marketing_loaded.has_marketing_files

),

positioned as (

    -- Touches of one order in time order; ties broken by channel, then campaign id (then event type and ad
    -- id, so the order is total). Every function uses the same window, so one sort serves them all. An
    -- order without a touch is a partition of its own null row: position 1 of 1, so one pass serves both
    -- kinds of order (no second read of the joined rows, which at 10M orders are ~20M wide rows).
    select
        order_id,
        customer_key,
        customer_id,
        order_date,
        amount,
        event_time,
        channel,
        campaign_id,
        event_type,
        row_number() over touch_order as touch_position,
        count(*) over all_touches as touch_count,
        decay_weight,
        sum(decay_weight) over touches_so_far as decay_running,
        sum(decay_weight) over all_touches as decay_total
    from order_touches
    -- Three named windows, not one extended with a frame (`over (touch_order rows ...)`): Spark reads only a
    -- window name alone.
    {%- set touch_order = 'partition by order_id order by event_time, channel, campaign_id, event_type, ad_id' %}
    window
        touch_order as ({{ touch_order }}),
        touches_so_far as ({{ touch_order }} rows between unbounded preceding and current row),
        all_touches as ({{ touch_order }} rows between unbounded preceding and unbounded following)

)

-- An order without a touch (null event_time) is credited to '(none)' under every model: one "touch" that
-- takes the whole order, weight 1.
select
    order_id,
    customer_key,
    customer_id,
    order_date,
    amount,
    touch_position,
    touch_count,
    event_time,
    case when event_time is null then {{ no_value_label() }} else channel end as channel,
    case when event_time is null then {{ no_value_label() }} else campaign_id end as campaign_id,
    event_type,
    case when event_time is null then 1 else decay_weight end as decay_weight,
    case when event_time is null then 1 else cast(decay_running as bigint) end as decay_running,
    case when event_time is null then 1 else cast(decay_total as bigint) end as decay_total
from positioned
