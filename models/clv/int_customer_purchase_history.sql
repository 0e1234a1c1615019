{#- One row per customer who bought on or before the analysis date: the BG/NBD and Gamma-Gamma inputs,
    as in Fader, Hardie & Lee (2005). Purchases are distinct purchase days (several orders of a customer
    on one day are one transaction, their values summed); orders after the analysis date are left out,
    like a holdout period. Times are in weeks (days / 7). -#}

with orders as (

    select
        customer_key,
        customer_id,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

analysis_date as (

    select as_of_date
    from {{ ref('int_analysis_date') }}

),

purchase_days as (

    select
        orders.customer_key,
        orders.customer_id,
        orders.order_date as purchase_date,
        count(*) as order_count,
        sum(orders.amount) as purchase_value
    from orders
    cross join analysis_date
    where orders.order_date <= analysis_date.as_of_date
    group by orders.customer_key, orders.customer_id, orders.order_date

),

customer_purchases as (

    select
        customer_key,
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        sum(order_count) as order_count,
        count(*) as purchase_days,
        sum(purchase_value) as total_value,
        arg_min(purchase_value, purchase_date) as first_purchase_value
    from purchase_days
    group by customer_key, customer_id

),

summarised as (

    select
        customer_purchases.*,
        analysis_date.as_of_date,
        customer_purchases.purchase_days - 1 as frequency
    from customer_purchases
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
    {{ days_to_weeks('last_purchase_date - first_purchase_date') }} as recency_weeks,
    {{ days_to_weeks('as_of_date - first_purchase_date') }} as age_weeks,
    total_value,
    first_purchase_value,
    case
        when frequency > 0
            then cast((total_value - first_purchase_value) / frequency as decimal(18, 4))
    end as repeat_purchase_value_mean
from summarised
