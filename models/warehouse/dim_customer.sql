{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='customer_key',
    on_schema_change='fail',
    pre_hook="{{ delete_customers_of_latest_load() }}"
) }}

{#- One row per customer, from one pass over fact_sales: every customer-level model (purchase history for
    the CLV models, customer_ltv) reads these figures instead of aggregating the orders again. Orders are
    first grouped per customer and day (a purchase day is one BG/NBD transaction), then per customer. The
    customer's returns (fact_returns, usually few or none) are joined on.

    Nothing here depends on the analysis date, so the model is incremental on customer_key: an incremental
    build deletes the customers the latest staging load touched (pre-hook) and aggregates the orders and
    returns of those customers alone (a daily file touches thousands of customers, not millions). The
    figures of a customer depend on that customer's rows only, so the result equals a full rebuild's
    (tests/test_incremental.py). -#}
-- depends_on: {{ ref('stg_sales__validated') }}

{%- if is_incremental() %}

with touched_customers as (

    {{ customers_of_latest_load() }}

),

orders as (
{%- else %}

with orders as (
{%- endif %}

    select
        customer_key,
        customer_id,
        order_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}
    {%- if is_incremental() %}
    where customer_key in (select customer_key from touched_customers)
    {%- endif %}

),

returns as (

    select
        customer_key,
        returned_amount
    from {{ ref('fact_returns') }}
    {%- if is_incremental() %}
    where customer_key in (select customer_key from touched_customers)
    {%- endif %}

),

purchase_days as (

    -- Grouped by the key (one 64-bit column hashes faster than the text id); the id is a function of it.
    -- The day's last order is the one with the highest order id, integer ids compared as numbers (as when
    -- ids were integers), text ids by an MD5-derived number (order_sort_key: stable, cheap).
    select
        customer_key,
        order_date,
        any_value(customer_id) as customer_id,
        count(*) as order_count,
        cast(sum(amount) as decimal(18, 2)) as day_value,
        max_by(amount, {{ order_sort_key('order_id') }}) as last_order_amount_of_day
    from orders
    group by customer_key, order_date

),

customer_orders_summary as (

    select
        customer_key,
        any_value(customer_id) as customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        cast(sum(order_count) as bigint) as order_count,
        count(*) as purchase_days,
        sum(day_value) as lifetime_revenue,
        min_by(day_value, order_date) as first_order_day_value,
        max_by(last_order_amount_of_day, order_date) as last_order_amount
    from purchase_days
    group by customer_key

),

customer_returns as (

    select
        customer_key,
        count(*) as return_count,
        sum(returned_amount) as returned_amount
    from returns
    group by customer_key

)

select
    customer_orders_summary.customer_key,
    customer_orders_summary.customer_id,
    customer_orders_summary.first_order_date,
    customer_orders_summary.last_order_date,
    date_trunc('month', customer_orders_summary.first_order_date)::date as cohort_month,
    customer_orders_summary.order_count,
    customer_orders_summary.purchase_days,
    customer_orders_summary.lifetime_revenue,
    {{ money('cast(customer_orders_summary.lifetime_revenue as double) / customer_orders_summary.order_count') }}
        as average_order_value,
    customer_orders_summary.first_order_day_value,
    customer_orders_summary.last_order_amount,
    customer_orders_summary.order_count = 1 as is_one_time_buyer,
    coalesce(customer_returns.return_count, 0) as return_count,
    cast(coalesce(customer_returns.returned_amount, 0) as decimal(18, 2)) as returned_amount,
    cast(
        customer_orders_summary.lifetime_revenue - coalesce(customer_returns.returned_amount, 0)
        as decimal(18, 2)
    ) as net_revenue,
    round(
        cast(coalesce(customer_returns.returned_amount, 0) as double) / customer_orders_summary.lifetime_revenue, 4
    ) as return_rate
from customer_orders_summary
left join customer_returns
    on customer_orders_summary.customer_key = customer_returns.customer_key
