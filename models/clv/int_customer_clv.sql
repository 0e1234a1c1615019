{{ config(materialized='view') }}

{#- One row per customer of int_customer_purchase_history: the model inputs beside the model outputs, typed,
    and the customer's figures int_customer_ltv reads with them (passed through from dim_customer).
    customer_clv is this view's CLV columns for the customers that have scores; int_customer_ltv reads it
    whole, so one scan of dim_customer gives it both (DECISIONS.md, "The daily build").
    The purchase model's outputs (the clv_model var: BG/NBD or Pareto/NBD) come from int_clv_customer_scores,
    one row per distinct (frequency, recency_weeks, age_weeks), joined on the same doubles the Python model
    grouped by. The Gamma-Gamma expected order value is its closed form (FHL 2005b;
    salesdw.clv.gamma_gamma.gamma_gamma_expected_spend), computed here from the fit row:
    (p gamma + p x m) / (p x + q - 1), m = mean repeat purchase value (0 when x = 0, where it is the
    population mean p gamma / (q - 1)). predicted_clv = discounted expected purchases x that value.
    Its 80% interval: the standard error of log CLV is sqrt(se_D^2 + se_M^2), se_D the purchase model's
    (from the scores) and se_M the delta-method one of log E[M] from Gamma-Gamma's covariance
    (salesdw.clv.gamma_gamma.gamma_gamma_expected_spend_log_se, folded into two constants of the fit), the
    two fits being independent. Outputs are null when the fit they need is not usable, and clv_null_reason
    says why. -#}

with history as (

    select
        customer_key,
        customer_id,
        first_purchase_date,
        last_purchase_date,
        frequency,
        recency_weeks,
        age_weeks,
        repeat_purchase_value_mean,
        order_count,
        total_value,
        cohort_month,
        average_order_value,
        last_order_amount,
        returned_amount,
        net_revenue,
        return_rate
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
        p_no_purchase_30d,
        p_no_purchase_90d,
        expected_purchases_90d_lower_80,
        expected_purchases_90d_upper_80,
        discounted_expected_purchases,
        discounted_expected_purchases_log_se
    from {{ ref('int_clv_customer_scores') }}

),

fit as (

    select
        any_value(ltv_basis) as ltv_basis,
        any_value(ltv_basis_reason) as ltv_basis_reason,
        any_value(clv_horizon_months) as clv_horizon_months
    from {{ ref('clv_model_fit') }}

),

{#- The Gamma-Gamma parameters when usable (as salesdw.clv.tables.fitted_models: converged, finite, q > 1 so the
    mean order value is finite); no row otherwise. With C the covariance of log (p, q, gamma) and
    D = p x + q - 1, the variance of log E[M] is (d log E / d log (p, q, gamma) = (q - 1) / D, -q / D, g)
    k1 / D^2 + k2 g / D + C33 g^2 with g = gamma / (gamma + x m): k1 and k2 are constants of the fit,
    computed once here, so each customer costs a few multiplications. -#}
spend_model as (

    select
        p,
        q,
        gamma,
        (q - 1.0) * (q - 1.0) * log_covariance_11 + q * q * log_covariance_22
        - 2.0 * q * (q - 1.0) * log_covariance_12 as spend_variance_k1,
        2.0 * ((q - 1.0) * log_covariance_13 - q * log_covariance_23) as spend_variance_k2,
        log_covariance_33 as spend_variance_k3
    from {{ ref('clv_model_fit') }}
    where model_name = 'gamma_gamma'
        and converged
        and not {{ is_not_finite("p") }}
        and not {{ is_not_finite("q") }}
        and not {{ is_not_finite("gamma") }}
        and q > 1

),

joined as (

    select
        history.*,
        scores.p_alive,
        scores.expected_purchases_30d,
        scores.expected_purchases_90d,
        scores.expected_purchases_365d,
        scores.p_no_purchase_30d,
        scores.p_no_purchase_90d,
        scores.expected_purchases_90d_lower_80,
        scores.expected_purchases_90d_upper_80,
        scores.discounted_expected_purchases,
        scores.discounted_expected_purchases_log_se,
        -- A history the scores lack leaves its customers out of customer_clv (its key test fails) but not
        -- out of int_customer_ltv, which ranks every customer (with null CLV outputs).
        scores.frequency is not null as is_scored,
        spend_model.p,
        spend_model.q,
        spend_model.gamma,
        spend_model.spend_variance_k1,
        spend_model.spend_variance_k2,
        spend_model.spend_variance_k3,
        spend_model.p * history.frequency::double + spend_model.q - 1.0 as spend_denominator,
        -- x m, the customer's repeat purchase value in total (0 without a repeat purchase)
        case
            when history.frequency > 0
                then history.frequency::double * coalesce(history.repeat_purchase_value_mean, 0)::double
            else 0.0
        end as repeat_value_total
    from history
    left join scores
        on history.frequency::double = scores.frequency
        and history.recency_weeks::double = scores.recency_weeks
        and history.age_weeks::double = scores.age_weeks
    left join spend_model
        on true

),

customers as (

    select
        *,
        case
            when spend_denominator > 0
                then (p * gamma + p * repeat_value_total) / spend_denominator
        end as expected_average_order_value,
        gamma / (gamma + repeat_value_total) as spend_share_of_gamma
    from joined

),

clv as (

    select
        *,
        discounted_expected_purchases * expected_average_order_value as predicted_clv_value,
        -- se(log CLV) = sqrt(se(log discounted purchases)^2 + var(log E[M])), the two fits independent
        sqrt(
            discounted_expected_purchases_log_se * discounted_expected_purchases_log_se
            + greatest(
                0.0,
                spend_variance_k1 / (spend_denominator * spend_denominator)
                + spend_share_of_gamma * (
                    spend_variance_k2 / spend_denominator + spend_variance_k3 * spend_share_of_gamma
                )
            )
        ) as predicted_clv_log_se
    from customers

)

select
    clv.customer_key,
    clv.customer_id,
    clv.first_purchase_date,
    clv.last_purchase_date,
    clv.frequency,
    clv.recency_weeks,
    clv.age_weeks,
    clv.repeat_purchase_value_mean,
    clv.p_alive,
    clv.p_no_purchase_30d,
    clv.p_no_purchase_90d,
    clv.expected_purchases_30d,
    clv.expected_purchases_90d,
    clv.expected_purchases_90d_lower_80,
    clv.expected_purchases_90d_upper_80,
    clv.expected_purchases_365d,
    {{ money('clv.expected_average_order_value') }} as expected_average_order_value,
    {{ money('clv.predicted_clv_value') }} as predicted_clv,
    {{ money('clv.predicted_clv_value * exp(-' ~ normal_quantile_80() ~ ' * clv.predicted_clv_log_se)') }}
        as predicted_clv_lower_80,
    {{ money('clv.predicted_clv_value * exp(' ~ normal_quantile_80() ~ ' * clv.predicted_clv_log_se)') }}
        as predicted_clv_upper_80,
    fit.clv_horizon_months::integer as clv_horizon_months,
    fit.ltv_basis,
    case
        when clv.predicted_clv_value is null then fit.ltv_basis_reason
        when clv.predicted_clv_log_se is null or clv.expected_purchases_90d_lower_80 is null
            then 'the parameter uncertainty could not be propagated to this history: its intervals are null'
    end as clv_null_reason,
    clv.is_scored,
    clv.order_count,
    clv.total_value,
    clv.cohort_month,
    clv.average_order_value,
    clv.last_order_amount,
    clv.returned_amount,
    clv.net_revenue,
    clv.return_rate
from clv
cross join fit
