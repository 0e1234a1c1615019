{#- One row per customer of int_customer_purchase_history: the model inputs beside the model outputs, typed
    (the Python scores leave pandas as doubles). Outputs are null when the fit they need did not converge;
    ltv_basis says which LTV the business layer ranks by. -#}

with history as (

    select
        customer_key,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        frequency,
        recency_weeks,
        age_weeks,
        repeat_purchase_value_mean
    from {{ ref('int_customer_purchase_history') }}

),

scores as (

    select
        customer_key,
        p_alive,
        expected_purchases_30d,
        expected_purchases_90d,
        expected_purchases_365d,
        expected_average_order_value,
        predicted_clv
    from {{ ref('int_clv_customer_scores') }}

),

fit as (

    select
        any_value(ltv_basis) as ltv_basis,
        any_value(clv_horizon_months) as clv_horizon_months
    from {{ ref('clv_model_fit') }}

)

select
    history.customer_key,
    history.customer_id,
    history.first_purchase_date,
    history.last_purchase_date,
    history.frequency,
    history.recency_weeks,
    history.age_weeks,
    history.repeat_purchase_value_mean,
    scores.p_alive,
    scores.expected_purchases_30d,
    scores.expected_purchases_90d,
    scores.expected_purchases_365d,
    {{ money('scores.expected_average_order_value') }} as expected_average_order_value,
    {{ money('scores.predicted_clv') }} as predicted_clv,
    fit.clv_horizon_months::integer as clv_horizon_months,
    fit.ltv_basis
from history
inner join scores
    on history.customer_key = scores.customer_key
cross join fit
