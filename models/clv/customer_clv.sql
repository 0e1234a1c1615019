{#- One row per customer of int_customer_purchase_history: the model inputs beside the model outputs, typed.
    The purchase model's outputs (the clv_model var: BG/NBD or Pareto/NBD) come from int_clv_customer_scores,
    one row per distinct (frequency, recency_weeks, age_weeks), joined on the same doubles the Python model
    grouped by. The Gamma-Gamma expected order value is its closed form (FHL 2005b;
    salesdw.clv.gamma_gamma.gamma_gamma_expected_spend), computed here from the fit row:
    (p gamma + p x m) / (p x + q - 1), m = mean repeat purchase value (0 when x = 0, where it is the
    population mean p gamma / (q - 1)). predicted_clv = discounted expected purchases x that value.
    Its 80% interval: the standard error of log CLV is sqrt(se_D^2 + se_M^2), se_D the purchase model's
    (from the scores) and se_M the delta-method one of log E[M] from Gamma-Gamma's covariance
    (salesdw.clv.gamma_gamma.gamma_gamma_expected_spend_log_se), the two fits being independent. Outputs are
    null when the fit they need is not usable, and clv_null_reason says why. -#}

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

{#- The Gamma-Gamma parameters and the covariance of their logarithms (order p, q, gamma) when usable (as
    salesdw.clv.tables.fitted_models: converged, finite, q > 1 so the mean order value is finite); no row
    otherwise. -#}
spend_model as (

    select
        p,
        q,
        gamma,
        log_covariance_11,
        log_covariance_12,
        log_covariance_13,
        log_covariance_22,
        log_covariance_23,
        log_covariance_33
    from {{ ref('clv_model_fit') }}
    where model_name = 'gamma_gamma'
        and converged
        and isfinite(p)
        and isfinite(q)
        and isfinite(gamma)
        and q > 1

),

spend_terms as (

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
        spend_model.p,
        spend_model.q,
        spend_model.gamma,
        spend_model.log_covariance_11,
        spend_model.log_covariance_12,
        spend_model.log_covariance_13,
        spend_model.log_covariance_22,
        spend_model.log_covariance_23,
        spend_model.log_covariance_33,
        spend_model.p * history.frequency::double + spend_model.q - 1.0 as spend_denominator,
        -- m, the mean repeat purchase value: ignored (0) without a repeat purchase
        case
            when history.frequency > 0 then coalesce(history.repeat_purchase_value_mean, 0)::double
            else 0.0
        end as repeat_value
    from history
    inner join scores
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
                then (p * gamma + p * frequency::double * repeat_value) / spend_denominator
        end as expected_average_order_value,
        -- d log E[M] / d log (p, q, gamma)
        (q - 1.0) / spend_denominator as spend_gradient_p,
        -q / spend_denominator as spend_gradient_q,
        gamma / (gamma + frequency::double * repeat_value) as spend_gradient_gamma
    from spend_terms

),

clv as (

    select
        *,
        discounted_expected_purchases * expected_average_order_value as predicted_clv_value,
        sqrt(
            pow(discounted_expected_purchases_log_se, 2)
            + greatest(
                0.0,
                pow(spend_gradient_p, 2) * log_covariance_11
                + pow(spend_gradient_q, 2) * log_covariance_22
                + pow(spend_gradient_gamma, 2) * log_covariance_33
                + 2 * spend_gradient_p * spend_gradient_q * log_covariance_12
                + 2 * spend_gradient_p * spend_gradient_gamma * log_covariance_13
                + 2 * spend_gradient_q * spend_gradient_gamma * log_covariance_23
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
    end as clv_null_reason
from clv
cross join fit
