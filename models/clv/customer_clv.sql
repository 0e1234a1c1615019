{{ config(materialized='view') }}

{#- One row per customer of int_customer_purchase_history whose history was scored: the CLV models' inputs
    and outputs, typed (computed in int_customer_clv; formulas there and in _clv.yml). A view: at 10M orders
    writing its 8.4M rows x 25 columns cost ~4.5 s of every build, reading it costs ~0.4 s (one hash join to
    the ~200k distinct histories; DECISIONS.md, "The daily build"). -#}

with customers as (

    select
        customer_key,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        frequency,
        recency_weeks,
        age_weeks,
        repeat_purchase_value_mean,
        p_alive,
        p_no_purchase_30d,
        p_no_purchase_90d,
        expected_purchases_30d,
        expected_purchases_90d,
        expected_purchases_90d_lower_80,
        expected_purchases_90d_upper_80,
        expected_purchases_365d,
        expected_average_order_value,
        predicted_clv,
        predicted_clv_lower_80,
        predicted_clv_upper_80,
        clv_horizon_months,
        ltv_basis,
        clv_null_reason,
        is_scored
    from {{ ref('int_customer_clv') }}

)

select
    customer_key,
    customer_id,
    first_purchase_date,
    last_purchase_date,
    frequency,
    recency_weeks,
    age_weeks,
    repeat_purchase_value_mean,
    p_alive,
    p_no_purchase_30d,
    p_no_purchase_90d,
    expected_purchases_30d,
    expected_purchases_90d,
    expected_purchases_90d_lower_80,
    expected_purchases_90d_upper_80,
    expected_purchases_365d,
    expected_average_order_value,
    predicted_clv,
    predicted_clv_lower_80,
    predicted_clv_upper_80,
    clv_horizon_months,
    ltv_basis,
    clv_null_reason
from customers
where is_scored
