-- The CLV outputs obey the rules of customer_clv's YAML, customer by customer: every customer's history was
-- scored (customer_clv holds the scored customers of int_customer_clv, one row each: so it has every
-- customer once); the CLV inside its 80% interval; finite (no NaN or infinity leaks into the mart) and
-- non-negative; predicted CLV present exactly when the LTV basis is predicted_clv; the expected order value
-- present whenever CLV is; every null output has its reason. One test, so the view is computed once; the
-- ranges of the per-history scores are tested on int_clv_customer_scores.
-- It names customer_clv as a parent too (below): a test of int_customer_clv alone would hold back
-- int_customer_ltv, which dbt starts only after the tests of everything it reads; with two parents it holds
-- back the readers of both, and nothing reads customer_clv. A failure still fails the build.
-- depends_on: {{ ref('customer_clv') }}
select
    customer_key,
    ltv_basis,
    p_alive,
    p_no_purchase_90d,
    expected_purchases_30d,
    expected_average_order_value,
    predicted_clv,
    clv_null_reason,
    is_scored
from {{ ref('int_customer_clv') }}
where not is_scored
    or not coalesce(predicted_clv between predicted_clv_lower_80 and predicted_clv_upper_80, true)
    or {{ is_not_finite('coalesce(p_alive, 0)') }}
    or {{ is_not_finite('coalesce(p_no_purchase_30d, 0)') }}
    or {{ is_not_finite('coalesce(p_no_purchase_90d, 0)') }}
    or {{ is_not_finite('coalesce(expected_purchases_30d, 0)') }}
    or {{ is_not_finite('coalesce(expected_purchases_90d, 0)') }}
    or {{ is_not_finite('coalesce(expected_purchases_365d, 0)') }}
    or {{ is_not_finite('coalesce(expected_purchases_90d_lower_80, 0)') }}
    or {{ is_not_finite('coalesce(expected_purchases_90d_upper_80, 0)') }}
    or expected_purchases_30d < 0
    or expected_average_order_value < 0
    or predicted_clv < 0
    or (ltv_basis = 'predicted_clv') <> (predicted_clv is not null)
    or (predicted_clv is not null and expected_average_order_value is null)
    or ((p_alive is null or predicted_clv is null or predicted_clv_lower_80 is null) and clv_null_reason is null)
