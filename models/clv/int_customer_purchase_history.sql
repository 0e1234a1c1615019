{{ config(materialized='view') }}

{#- One row per customer: the BG/NBD and Gamma-Gamma inputs, as in Fader, Hardie & Lee (2005). Purchases
    are distinct purchase days (several orders of a customer on one day are one transaction, their values
    summed). A view over dim_customer, which aggregates the orders per customer and day in its one pass:
    every order in fact_sales is on or before the analysis date (staging rejects later ones as
    date_after_as_of_date; tested on int_analysis_date), so the customer's whole history is the calibration
    period. Times are in weeks (days / 7). Beside them, passed through, the customer's figures that
    int_customer_ltv reads with the CLV outputs (int_customer_clv), so it needs no second scan of
    dim_customer and no join of 8M customers on their key (DECISIONS.md, "The daily build"). -#}

with customers as (

    select
        customer_key,
        customer_id,
        first_order_date,
        last_order_date,
        order_count,
        purchase_days,
        lifetime_revenue,
        first_order_day_value,
        cohort_month,
        average_order_value,
        last_order_amount,
        returned_amount,
        net_revenue,
        return_rate
    from {{ ref('dim_customer') }}

),

analysis_date as (

    select as_of_date
    from {{ ref('int_analysis_date') }}

),

summarised as (

    select
        customers.customer_key,
        customers.customer_id,
        customers.first_order_date as first_purchase_date,
        customers.last_order_date as last_purchase_date,
        analysis_date.as_of_date,
        customers.order_count,
        customers.purchase_days,
        customers.purchase_days - 1 as frequency,
        customers.lifetime_revenue as total_value,
        customers.first_order_day_value as first_purchase_value,
        customers.cohort_month,
        customers.average_order_value,
        customers.last_order_amount,
        customers.returned_amount,
        customers.net_revenue,
        customers.return_rate
    from customers
    cross join analysis_date

)

select
    customer_key,
    customer_id,
    first_purchase_date,
    last_purchase_date,
    as_of_date,
    order_count,
    purchase_days,
    frequency,
    {{ days_to_weeks(dbt.datediff('first_purchase_date', 'last_purchase_date', 'day')) }} as recency_weeks,
    {{ days_to_weeks(dbt.datediff('first_purchase_date', 'as_of_date', 'day')) }} as age_weeks,
    total_value,
    first_purchase_value,
    case
        when frequency > 0
            then cast((total_value - first_purchase_value) / frequency as decimal(18, 4))
    end as repeat_purchase_value_mean,
    cohort_month,
    average_order_value,
    last_order_amount,
    returned_amount,
    net_revenue,
    return_rate
from summarised
