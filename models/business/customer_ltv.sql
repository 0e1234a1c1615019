{{ config(materialized='view') }}

{#- One row per customer: int_customer_ltv with what derives from its columns and two one-row tables. A view
    (measured, see DECISIONS.md "The daily build"): writing 8.4M rows x 37 columns was most of what a table
    cost, text columns most of all, and every column below is a copy, a CASE or a concatenation, cheap where
    it is read. A reader that selects a few columns reads only those of int_customer_ltv. Formulas: see
    _business.yml and DECISIONS.md. -#}

with customers as (

    select
        customer_key,
        customer_id,
        first_order_date,
        last_order_date,
        cohort_month,
        recency_days,
        frequency,
        tenure_days,
        average_order_value,
        last_order_amount,
        order_value_trend,
        expected_days_between_orders,
        recency_ratio,
        churn_risk_score,
        annual_order_rate,
        projected_12m_value,
        ltv_12m_estimate,
        p_alive,
        p_no_purchase_30d,
        p_no_purchase_90d,
        expected_purchases_90d,
        predicted_clv,
        ltv_percentile,
        historical_ltv_percentile,
        r_score,
        f_score,
        m_score,
        gross_revenue,
        returned_amount,
        net_revenue,
        return_rate
    from {{ ref('int_customer_ltv') }}

),

clv_fit as (

    -- One basis for everybody: predicted_clv when both fits converged, else historical_revenue (the basis
    -- int_customer_ltv ranked ltv_percentile by).
    select coalesce(any_value(ltv_basis), 'historical_revenue') as ltv_basis
    from {{ ref('clv_model_fit') }}

),

rules as (

    select
        churn_band_high_min_score,
        churn_band_medium_min_score
    from {{ ref('int_business_rules') }}

)

select
    customers.customer_key,
    {{ id_from_key('customers.customer_id', 'customers.customer_key') }} as customer_id,
    customers.first_order_date,
    customers.last_order_date,
    customers.cohort_month,
    customers.recency_days,
    customers.frequency,
    customers.tenure_days,
    -- Monetary value and historical LTV are net of returns (DECISIONS.md, "Returns").
    customers.net_revenue as monetary_total,
    customers.average_order_value,
    customers.last_order_amount,
    customers.order_value_trend,
    customers.expected_days_between_orders,
    customers.recency_ratio,
    customers.churn_risk_score,
    case
        when customers.churn_risk_score >= rules.churn_band_high_min_score then 'High'
        when customers.churn_risk_score >= rules.churn_band_medium_min_score then 'Medium'
        else 'Low'
    end as churn_risk_band,
    customers.net_revenue as historical_ltv,
    customers.annual_order_rate,
    customers.projected_12m_value,
    customers.ltv_12m_estimate,
    customers.p_alive,
    customers.p_no_purchase_30d,
    customers.p_no_purchase_90d,
    customers.expected_purchases_90d,
    customers.predicted_clv,
    clv_fit.ltv_basis,
    -- What ltv_percentile ranked by (int_customer_ltv, the same macro).
    {{ ltv_ranking_value('clv_fit.ltv_basis', 'customers.predicted_clv', 'customers.net_revenue') }}
        as ltv_ranking_value,
    customers.ltv_percentile,
    customers.historical_ltv_percentile,
    customers.r_score,
    customers.f_score,
    customers.m_score,
    concat(customers.r_score, customers.f_score, customers.m_score) as rfm_cell,
    customers.gross_revenue,
    customers.returned_amount,
    customers.net_revenue,
    customers.return_rate
from customers
cross join clv_fit
cross join rules
