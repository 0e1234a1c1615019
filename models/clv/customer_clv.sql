{#- One row per customer of int_customer_purchase_history: the model inputs beside the model outputs, typed.
    BG/NBD outputs come from int_clv_customer_scores, one row per distinct (frequency, recency_weeks,
    age_weeks), joined on the same doubles the Python model grouped by. The Gamma-Gamma expected order
    value is its closed form (FHL 2005b; salesdw.clv.btyd.gamma_gamma_expected_spend), computed here from the
    fit row: (p gamma + p x m) / (p x + q - 1), m = mean repeat purchase value (0 when x = 0, where it is
    the population mean p gamma / (q - 1)). predicted_clv = discounted expected purchases x that value
    (salesdw.clv.btyd.predicted_clv). Outputs are null when the fit they need is not usable; ltv_basis says
    which LTV the business layer ranks by. -#}

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
        frequency,
        recency_weeks,
        age_weeks,
        p_alive,
        expected_purchases_30d,
        expected_purchases_90d,
        expected_purchases_365d,
        discounted_expected_purchases
    from {{ ref('int_clv_customer_scores') }}

),

fit as (

    select
        any_value(ltv_basis) as ltv_basis,
        any_value(clv_horizon_months) as clv_horizon_months
    from {{ ref('clv_model_fit') }}

),

{#- The Gamma-Gamma parameters when usable (as salesdw.clv.tables.fitted_models: converged, finite, q > 1 so the
    mean order value is finite); no row otherwise. -#}
spend_model as (

    select
        p,
        q,
        gamma
    from {{ ref('clv_model_fit') }}
    where model_name = 'gamma_gamma'
        and converged
        and isfinite(p)
        and isfinite(q)
        and isfinite(gamma)
        and q > 1

),

customers as (

    select
        history.*,
        scores.p_alive,
        scores.expected_purchases_30d,
        scores.expected_purchases_90d,
        scores.expected_purchases_365d,
        scores.discounted_expected_purchases,
        case
            when spend_model.p * history.frequency::double + spend_model.q - 1.0 > 0
                then (
                    spend_model.p * spend_model.gamma
                    + spend_model.p * history.frequency::double
                    * (case
                        when history.frequency > 0
                            then coalesce(history.repeat_purchase_value_mean, 0)::double
                        else 0.0
                    end)
                ) / (spend_model.p * history.frequency::double + spend_model.q - 1.0)
        end as expected_average_order_value
    from history
    inner join scores
        on history.frequency::double = scores.frequency
        and history.recency_weeks::double = scores.recency_weeks
        and history.age_weeks::double = scores.age_weeks
    left join spend_model
        on true

)

select
    customers.customer_key,
    customers.customer_id,
    customers.first_purchase_date,
    customers.last_purchase_date,
    customers.frequency,
    customers.recency_weeks,
    customers.age_weeks,
    customers.repeat_purchase_value_mean,
    customers.p_alive,
    customers.expected_purchases_30d,
    customers.expected_purchases_90d,
    customers.expected_purchases_365d,
    {{ money('customers.expected_average_order_value') }} as expected_average_order_value,
    {{ money('customers.discounted_expected_purchases * customers.expected_average_order_value') }}
        as predicted_clv,
    fit.clv_horizon_months::integer as clv_horizon_months,
    fit.ltv_basis
from customers
cross join fit
