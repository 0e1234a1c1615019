{#- One row per customer: every figure of customer_ltv that costs a computation (recency, frequency, tenure
    and monetary value, the heuristic churn risk score, LTV (historical and a 12-month estimate), RFM scores,
    the LTV percentiles) and beside them the model-based view from the clv layer (P(alive), P(no purchase in
    30/90 days), expected purchases, predicted CLV). customer_ltv, a view over this table, adds what is
    derived from these columns and one-row tables (the churn band, the RFM cell, the LTV basis and ranking
    value, the copies of net revenue) and gives back the integer customer ids this table does not store:
    writing 8.4M rows was most of what a table of every column cost (DECISIONS.md, "The daily build").
    Customers are ranked by predicted CLV when the fits converged, else by historical revenue (ltv_basis).
    Formulas: see _business.yml and DECISIONS.md. -#}

with customers as {% call inlined_cte() %}

    -- dim_customer's figures beside the CLV outputs, in one row per customer (int_customer_clv passes
    -- them through from dim_customer; the CLV outputs are null for a history the scores lack).
    select
        customer_key,
        customer_id,
        first_purchase_date as first_order_date,
        last_purchase_date as last_order_date,
        cohort_month,
        order_count,
        total_value as lifetime_revenue,
        average_order_value,
        -- The last order's amount (same-day orders: the highest order id), aggregated in dim_customer.
        last_order_amount,
        returned_amount,
        net_revenue,
        return_rate,
        p_alive,
        p_no_purchase_30d,
        p_no_purchase_90d,
        expected_purchases_90d,
        predicted_clv
    from {{ ref('int_customer_clv') }}

{% endcall %},

repeat_customers as (

    select
        first_order_date,
        last_order_date,
        order_count
    from {{ ref('dim_customer') }}
    where order_count > 1

),

analysis_date as (

    select as_of_date
    from {{ ref('int_analysis_date') }}

),

clv_fit as (

    -- One basis for everybody: predicted_clv when both fits converged, else historical_revenue.
    select coalesce(any_value(ltv_basis), 'historical_revenue') as ltv_basis
    from {{ ref('clv_model_fit') }}

),

rules as (

    select
        churn_weight_recency,
        churn_weight_frequency,
        churn_weight_value_trend,
        churn_band_high_min_score,
        churn_band_medium_min_score,
        projection_min_tenure_days,
        fallback_days_between_orders
    from {{ ref('int_business_rules') }}

),

population_rhythm as (

    -- A one-order customer has no rhythm of their own: they are expected to reorder like the typical
    -- (median) repeat customer; with no repeat customer at all, like the fallback rule says.
    select coalesce(
        median({{ dbt.datediff('customers.first_order_date', 'customers.last_order_date', 'day') }} / (customers.order_count - 1)),
        any_value(rules.fallback_days_between_orders)
    ) as median_days_between_orders
    from rules
    left join repeat_customers as customers
        on true

),

measured as {% call inlined_cte() %}

    select
        customers.customer_key,
        customers.customer_id,
        customers.first_order_date,
        customers.last_order_date,
        customers.cohort_month,
        customers.order_count,
        customers.lifetime_revenue,
        customers.average_order_value,
        customers.last_order_amount,
        customers.returned_amount,
        customers.net_revenue,
        customers.return_rate,
        -- What an order is worth once returns are netted off (never below zero): the projections use it.
        {{ money('cast(greatest(customers.net_revenue, 0) as double) / customers.order_count') }}
            as net_average_order_value,
        customers.p_alive,
        customers.p_no_purchase_30d,
        customers.p_no_purchase_90d,
        customers.expected_purchases_90d,
        customers.predicted_clv,
        clv_fit.ltv_basis,
        {{ dbt.datediff('customers.last_order_date', 'analysis_date.as_of_date', 'day') }} as recency_days,
        {{ dbt.datediff('customers.first_order_date', 'analysis_date.as_of_date', 'day') }} as tenure_days,
        -- Never less than a day, so same-day repeat orders do not divide by zero.
        greatest(
            1.0,
            case
                when customers.order_count > 1
                    then {{ dbt.datediff('customers.first_order_date', 'customers.last_order_date', 'day') }}
                    / (customers.order_count - 1)
                else population_rhythm.median_days_between_orders
            end
        ) as expected_days_between_orders,
        case
            when customers.order_count > 1
                then (customers.lifetime_revenue - customers.last_order_amount)
                / (customers.order_count - 1)
        end as earlier_average_order_value
    from customers
    cross join analysis_date
    cross join population_rhythm
    cross join clv_fit

{% endcall %},

risk_components as {% call inlined_cte() %}

    select
        *,
        recency_days / expected_days_between_orders as recency_ratio,
        {{ safe_ratio('last_order_amount - earlier_average_order_value', 'earlier_average_order_value') }}
            as order_value_trend
    from measured

{% endcall %},

risk_scored as {% call inlined_cte() %}

    select
        risk_components.*,
        -- Half-life form: 0.5 when exactly one usual gap has passed, 0.75 after two, 0.875 after three.
        1 - pow(0.5, recency_ratio) as recency_risk,
        1.0::double / order_count as frequency_risk,
        -- 0.5 is neutral (one order, or a flat trend); a halving of the order value gives 0.75.
        least(1.0, greatest(0.0, 0.5 - coalesce(order_value_trend, 0) / 2)) as value_trend_risk,
        rules.churn_weight_recency,
        rules.churn_weight_frequency,
        rules.churn_weight_value_trend,
        rules.churn_band_high_min_score,
        rules.churn_band_medium_min_score,
        rules.projection_min_tenure_days
    from risk_components
    cross join rules

{% endcall %},

valued as {% call inlined_cte() %}

    select
        *,
        round(
            100 * (
                churn_weight_recency * recency_risk
                + churn_weight_frequency * frequency_risk
                + churn_weight_value_trend * value_trend_risk
            ) / (churn_weight_recency + churn_weight_frequency + churn_weight_value_trend)
        )::integer as churn_risk_score,
        order_count * 365.0::double / greatest(tenure_days, projection_min_tenure_days) as annual_order_rate
    from risk_scored

{% endcall %},

projected as {% call inlined_cte() %}

    select
        *,
        annual_order_rate * net_average_order_value as projected_12m_value_if_retained,
        annual_order_rate * net_average_order_value * (1 - churn_risk_score / 100.0::double) as ltv_12m_estimate_value,
        {{ ltv_ranking_value('ltv_basis', 'predicted_clv', 'net_revenue') }} as ltv_ranking_value
    from valued

{% endcall %},

-- The four values the customers are ranked by, computed once for the four rank CTEs below. The CTEs above
-- are inlined (inlined_cte, macros/cross_engine.sql): with two readers (this one and `ranked`) DuckDB would
-- otherwise hold every wide customer row in memory (8.4M rows at 10M orders: 3.4 -> 1.2 GB peak for this
-- model, DECISIONS.md, "The daily build"); this narrow pass recomputes only what these columns need.
-- `ranked` joins each row back to its rank by value, so both passes must give the same values: they are
-- integers and decimals from the same expressions (a rank over a double from a parallel aggregate would not be).
rank_inputs as {% call materialized_cte() %}

    select
        recency_days,
        order_count,
        net_revenue,
        ltv_ranking_value
    from projected

{% endcall %},

-- RFM scores and LTV percentiles: the percent_rank / cume_dist of each customer's value, computed once per
-- distinct value (a few hundred recencies and order counts; revenue and CLV have far fewer distinct values
-- than customers) and joined back, instead of four window sorts of every (wide) customer row. Same ORDER BY
-- and the same arithmetic as the window functions, so the same scores bit for bit (macros/scores.sql).
recency_ranks as (
    {{ value_ranks('rank_inputs', 'recency_days', ['desc']) }}
),

frequency_ranks as (
    {{ value_ranks('rank_inputs', 'order_count', ['asc']) }}
),

monetary_ranks as (
    -- Ascending for m_score, descending for historical_ltv_percentile: one table, one join.
    {{ value_ranks('rank_inputs', 'net_revenue', ['asc', 'desc']) }}
),

ltv_ranks as (
    {{ value_ranks('rank_inputs', 'ltv_ranking_value', ['desc']) }}
),

ranked as (

    select
        projected.*,
        {{ ranked_quintile_score('recency_ranks', 'desc') }} as r_score,
        {{ ranked_quintile_score('frequency_ranks', 'asc') }} as f_score,
        {{ ranked_quintile_score('monetary_ranks', 'asc') }} as m_score,
        -- Share of customers with a strictly lower LTV: the top 20% are those at 0.80 or above.
        -- (1 - cume_dist() over (order by ltv_ranking_value desc))
        1 - {{ ranked_cume_dist('ltv_ranks', 'desc') }} as ltv_percentile,
        -- (1 - cume_dist() over (order by net_revenue desc))
        1 - {{ ranked_cume_dist('monetary_ranks', 'desc') }} as historical_ltv_percentile
    from projected
    inner join recency_ranks
        on projected.recency_days is not distinct from recency_ranks.ranked_value
    inner join frequency_ranks
        on projected.order_count is not distinct from frequency_ranks.ranked_value
    inner join monetary_ranks
        on projected.net_revenue is not distinct from monetary_ranks.ranked_value
    inner join ltv_ranks
        on projected.ltv_ranking_value is not distinct from ltv_ranks.ranked_value

)

select
    customer_key,
    -- The text of non-integer ids only (macros/ids.sql): an integer id is its key's digits, and writing
    -- 8.4M id texts was the costliest column at 10M orders. customer_ltv gives it back (id_from_key).
    {{ id_text_beside_key('customer_id', 'customer_key') }} as customer_id,
    first_order_date,
    last_order_date,
    cohort_month,
    recency_days,
    order_count as frequency,
    tenure_days,
    average_order_value,
    {{ money('last_order_amount') }} as last_order_amount,
    round(order_value_trend, 4) as order_value_trend,
    round(expected_days_between_orders, 2) as expected_days_between_orders,
    round(recency_ratio, 4) as recency_ratio,
    churn_risk_score,
    round(annual_order_rate, 4) as annual_order_rate,
    {{ money('projected_12m_value_if_retained') }} as projected_12m_value,
    {{ money('ltv_12m_estimate_value') }} as ltv_12m_estimate,
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
    -- Monetary value and historical LTV are net of returns (DECISIONS.md, "Returns").
    lifetime_revenue as gross_revenue,
    returned_amount,
    net_revenue,
    return_rate
from ranked
