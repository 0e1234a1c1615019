{{ config(materialized='view') }}

{#- One row per customer in the backtest (first seen before the cut; a deterministic sample when
    int_clv_backtest_period says so): the calibration history (frequency, recency and age in weeks at the
    cut, as in int_customer_purchase_history) and the purchase days in the holdout. Only customers whose
    purchases straddle the cut need their orders: everyone else's calibration history is their whole
    history (dim_customer) and their holdout is empty, so fact_sales is read for the sampled straddlers
    alone. A view: clv_backtest reads it once, grouped. -#}

with period as (

    select
        calibration_end_date,
        sample_share
    from {{ ref('int_clv_backtest_period') }}
    where is_long_enough

),

customers as (

    select
        customer_key,
        first_order_date,
        last_order_date,
        purchase_days
    from {{ ref('dim_customer') }}

),

orders as (

    select
        customer_key,
        order_date
    from {{ ref('fact_sales') }}

),

sampled as (

    select
        customers.customer_key,
        customers.first_order_date,
        customers.last_order_date,
        customers.purchase_days,
        period.calibration_end_date
    from customers
    cross join period
    where customers.first_order_date <= period.calibration_end_date
        and {{ sample_bucket('customers.customer_key') }} < period.sample_share * 1000000

),

straddling_orders as (

    select
        orders.customer_key,
        orders.order_date,
        sampled.calibration_end_date
    from orders
    inner join sampled
        on orders.customer_key = sampled.customer_key
    where sampled.last_order_date > sampled.calibration_end_date

),

split_at_cut as (

    select
        customer_key,
        count(distinct case when order_date <= calibration_end_date then order_date end)
            as calibration_purchase_days,
        max(case when order_date <= calibration_end_date then order_date end) as last_calibration_purchase_date,
        count(distinct case when order_date > calibration_end_date then order_date end) as holdout_purchase_days
    from straddling_orders
    group by customer_key

)

select
    sampled.customer_key,
    coalesce(split_at_cut.calibration_purchase_days, sampled.purchase_days) - 1 as frequency,
    {{ days_to_weeks(dbt.datediff(
        'sampled.first_order_date',
        'coalesce(split_at_cut.last_calibration_purchase_date, sampled.last_order_date)',
        'day'
    )) }} as recency_weeks,
    {{ days_to_weeks(dbt.datediff('sampled.first_order_date', 'sampled.calibration_end_date', 'day')) }}
        as age_weeks,
    coalesce(split_at_cut.holdout_purchase_days, 0) as holdout_purchases
from sampled
left join split_at_cut
    on sampled.customer_key = split_at_cut.customer_key
