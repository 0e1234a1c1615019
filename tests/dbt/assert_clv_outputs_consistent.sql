-- The CLV outputs obey the rules of customer_clv's YAML: finite (no NaN or infinity leaks into the mart)
-- and non-negative; predicted CLV present exactly when the LTV basis is predicted_clv; the expected order
-- value present whenever CLV is; every null output has its reason.
select
    customer_key,
    ltv_basis,
    p_alive,
    p_no_purchase_90d,
    expected_purchases_30d,
    expected_average_order_value,
    predicted_clv,
    clv_null_reason
from {{ ref('customer_clv') }}
where {{ is_not_finite('coalesce(p_alive, 0)') }}
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
