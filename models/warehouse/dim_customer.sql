with orders as (

    select
        customer_key,
        customer_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

customer_orders_summary as (

    -- Grouped by the id alone (one 64-bit column hashes faster than two); the key is a function of it.
    select
        any_value(customer_key) as customer_key,
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(amount) as lifetime_revenue
    from orders
    group by customer_id

)

select
    customer_key,
    customer_id,
    first_order_date,
    last_order_date,
    date_trunc('month', first_order_date)::date as cohort_month,
    order_count,
    lifetime_revenue,
    cast(lifetime_revenue / order_count as decimal(18, 2)) as average_order_value,
    order_count = 1 as is_one_time_buyer
from customer_orders_summary
