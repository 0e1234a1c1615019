{{ check_attribution_vars() }}

{#- One row per order x touch in its attribution window, plus one row per order without a touch (kind 0,
    '(none)'), with everything every attribution model needs: the touch's position among the order's touches,
    their count and the time-decay weights. The touch's channel, campaign and event type are its touch_kind
    (int_touch_kinds), which the readers join back: order_attribution (a view that turns this table into
    order x touch x model), channel_performance and customer_acquisition. Empty when the build has no
    marketing files.

    Each order is joined to its customer's touches of its window (by customer and a date range, never a
    cross join) and the touches are numbered per order. Everything from the touches' join to the window is
    integers: the order key, the touch time and the touch's kind, the rank of its (channel, campaign, event
    type, ad) among the few distinct ones, which sorts as those texts would; orders without a touch never
    reach the sort, and the order's other columns join back by its key after it. At 10M orders, numbering
    per order rather than per customer x order day (orders of one day share their touches, but fewer than
    0.2% of days have two orders) saves the distinct days (a 10M-row aggregation) and joins back on one
    integer instead of two columns: ~22 -> ~18.5 CPU-s, the same rows (DECISIONS.md, "Where the 10M
    marketing time goes"). -#}

with touches as (

    select
        customer_key,
        event_time,
        touch_date,
        {{ touch_kind_fields() }}
    from {{ ref('fact_touchpoints') }}

),

touch_kinds as (

    -- Every kind of touch numbered (int_touch_kinds): the tie-break of touches at the same time.
    select
        touch_kind,
        channel,
        campaign_id,
        event_type,
        ad_id
    from {{ ref('int_touch_kinds') }}

),

kinded_touches as (

    -- fact_touchpoints has no null in these columns (campaign '(none)', ad id '' here), so no touch is lost.
    select
        touches.customer_key,
        touches.event_time,
        touches.touch_date,
        touch_kinds.touch_kind
    from touches
    inner join touch_kinds
        on touches.channel = touch_kinds.channel
        and touches.campaign_id = touch_kinds.campaign_id
        and touches.event_type = touch_kinds.event_type
        and touches.ad_id = touch_kinds.ad_id

),

order_touches as (

    -- Each order with its customer's touches of the lookback_days before it (inner join: an order without a
    -- touch has no row here). fact_sales is read here and again below for the order's columns: one CTE read
    -- twice would be materialized.
    select
        orders.order_key,
        kinded_touches.event_time,
        kinded_touches.touch_kind,
        {{ attribution_decay_weight(dbt.datediff('kinded_touches.touch_date', 'orders.order_date', 'day')) }}
            as decay_weight
    from (
        select
            {{ id_key('order_id') }} as order_key,
            customer_key,
            order_date
        from {{ ref('fact_sales') }}
    ) as orders
    inner join kinded_touches
        on orders.customer_key = kinded_touches.customer_key
        and kinded_touches.touch_date <= orders.order_date
        and kinded_touches.touch_date >= {{ dbt.dateadd('day', -1 * var('lookback_days'), 'orders.order_date') }}

),

positioned as (

    -- Touches of one order in time order; ties broken by channel, then campaign id (then event type and ad
    -- id, so the order is total): by touch_kind. The position and the running sum share one sort; the
    -- order's count and total are over the unordered partition (no frame to evaluate per row: ~30% less
    -- window time than a whole-partition frame on the sorted window).
    select
        order_key,
        event_time,
        touch_kind,
        row_number() over touch_order as touch_position,
        count(*) over whole_order as touch_count,
        decay_weight,
        sum(decay_weight) over touches_so_far as decay_running,
        sum(decay_weight) over whole_order as decay_total
    from order_touches
    -- Named windows, not one extended with a frame (`over (touch_order rows ...)`): Spark reads only a window
    -- name alone.
    {%- set one_order = 'partition by order_key' %}
    {%- set touch_order = one_order ~ ' order by event_time, touch_kind' %}
    window
        touch_order as ({{ touch_order }}),
        touches_so_far as ({{ touch_order }} rows between unbounded preceding and current row),
        whole_order as ({{ one_order }})

)

-- Left join: an order without a touch (null event_time) is credited to '(none)' (kind 0) under every model:
-- one "touch" that takes the whole order, weight 1.
select
    -- The ids as id_text_beside_key stores them (text only when the key does not hold it; readers use
    -- id_from_key): writing 20M order and customer id texts cost ~10 of the table's ~17 CPU-s of writing.
    {{ id_text_beside_key('orders.order_id', 'orders.order_key') }} as order_id,
    orders.order_key,
    orders.customer_key,
    {{ id_text_beside_key('orders.customer_id', 'orders.customer_key') }} as customer_id,
    orders.order_date,
    orders.amount,
    coalesce(positioned.touch_position, 1) as touch_position,
    coalesce(positioned.touch_count, 1) as touch_count,
    positioned.event_time,
    coalesce(positioned.touch_kind, 0) as touch_kind,
    coalesce(positioned.decay_weight, 1) as decay_weight,
    coalesce(cast(positioned.decay_running as bigint), 1) as decay_running,
    coalesce(cast(positioned.decay_total as bigint), 1) as decay_total
from (
    select
        order_id,
        {{ id_key('order_id') }} as order_key,
        customer_key,
        customer_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}
) as orders
left join positioned
    on orders.order_key = positioned.order_key
-- Empty when the warehouse has no marketing file (a constant, so nothing is read then).
where {{ 'true' if has_loaded_marketing(ref('stg_marketing__loaded_files')) else 'false' }}
