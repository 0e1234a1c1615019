{{ check_attribution_vars() }}

{#- One row per order x touch in its attribution window, plus one row per order without a touch (channel
    '(none)'), with everything every attribution model needs: the touch's position among the order's touches,
    their count and the time-decay weights. The physical table behind order_attribution (a view that turns it
    into order x touch x model), channel_performance and customer_acquisition. Empty when the build has no
    marketing files.

    The window is by date, so all orders of one customer on one day have the same touches: the touches are
    joined to, and numbered for, each customer x order day (by customer and a date range, never a cross
    join), then the orders take their day's numbered touches. The sort then carries only the touch columns
    under an integer-and-date partition key, and orders without a touch never reach it (DECISIONS.md,
    "Where the 10M marketing time goes"). -#}

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

order_days as (

    select distinct
        customer_key,
        order_date
    from orders

),

day_touches as (

    -- Each customer x order day with the customer's touches of the lookback_days before it (inner join: a day
    -- without a touch has no row here).
    select
        order_days.customer_key,
        order_days.order_date,
        touches.event_time,
        touches.channel,
        touches.campaign_id,
        touches.event_type,
        touches.ad_id,
        {{ attribution_decay_weight(dbt.datediff('touches.touch_date', 'order_days.order_date', 'day')) }}
            as decay_weight
    from order_days
    inner join touches
        on order_days.customer_key = touches.customer_key
        and touches.touch_date <= order_days.order_date
        and touches.touch_date >= {{ dbt.dateadd('day', -1 * var('lookback_days'), 'order_days.order_date') }}

),

positioned as (

    -- Touches of one order day in time order; ties broken by channel, then campaign id (then event type and
    -- ad id, so the order is total). Every function uses the same window, so one sort serves them all.
    select
        customer_key,
        order_date,
        event_time,
        channel,
        campaign_id,
        event_type,
        row_number() over touch_order as touch_position,
        count(*) over all_touches as touch_count,
        decay_weight,
        sum(decay_weight) over touches_so_far as decay_running,
        sum(decay_weight) over all_touches as decay_total
    from day_touches
    -- Three named windows, not one extended with a frame (`over (touch_order rows ...)`): Spark reads only a
    -- window name alone.
    {%- set touch_order = 'partition by customer_key, order_date order by event_time, channel, campaign_id, event_type, ad_id' %}
    window
        touch_order as ({{ touch_order }}),
        touches_so_far as ({{ touch_order }} rows between unbounded preceding and current row),
        all_touches as ({{ touch_order }} rows between unbounded preceding and unbounded following)

)

-- Left join: an order without a touch (null event_time) is credited to '(none)' under every model: one
-- "touch" that takes the whole order, weight 1.
select
    orders.order_id,
    orders.customer_key,
    orders.customer_id,
    orders.order_date,
    orders.amount,
    coalesce(positioned.touch_position, 1) as touch_position,
    coalesce(positioned.touch_count, 1) as touch_count,
    positioned.event_time,
    coalesce(positioned.channel, {{ no_value_label() }}) as channel,
    case when positioned.event_time is null then {{ no_value_label() }} else positioned.campaign_id end as campaign_id,
    positioned.event_type,
    coalesce(positioned.decay_weight, 1) as decay_weight,
    coalesce(cast(positioned.decay_running as bigint), 1) as decay_running,
    coalesce(cast(positioned.decay_total as bigint), 1) as decay_total
from orders
cross join marketing_loaded
left join positioned
    on orders.customer_key = positioned.customer_key
    and orders.order_date = positioned.order_date
where marketing_loaded.has_marketing_files
