{#- One row per customer, from one pass over fact_sales: every customer-level model (purchase history for
    the CLV models, customer_ltv) reads these figures instead of aggregating the orders again. Orders are
    first grouped per customer and day (a purchase day is one BG/NBD transaction), then per customer. -#}

with orders as (

    select
        customer_key,
        customer_id,
        order_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

purchase_days as (

    -- Grouped by the id (one 64-bit column hashes faster than the key and the id); the key is a function
    -- of it. The day's last order is the one with the highest order id, so "last" is deterministic.
    select
        customer_id,
        order_date,
        any_value(customer_key) as customer_key,
        count(*) as order_count,
        cast(sum(amount) as decimal(18, 2)) as day_value,
        arg_max(amount, order_id) as last_order_amount_of_day
    from orders
    group by customer_id, order_date

),

customer_orders_summary as (

    select
        customer_id,
        any_value(customer_key) as customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        cast(sum(order_count) as bigint) as order_count,
        count(*) as purchase_days,
        sum(day_value) as lifetime_revenue,
        arg_min(day_value, order_date) as first_order_day_value,
        arg_max(last_order_amount_of_day, order_date) as last_order_amount
    from purchase_days
    group by customer_id

)

select
    customer_key,
    customer_id,
    first_order_date,
    last_order_date,
    date_trunc('month', first_order_date)::date as cohort_month,
    order_count,
    purchase_days,
    lifetime_revenue,
    cast(lifetime_revenue / order_count as decimal(18, 2)) as average_order_value,
    first_order_day_value,
    last_order_amount,
    order_count = 1 as is_one_time_buyer
from customer_orders_summary
