-- The CLV outputs obey the rules of customer_clv's YAML: non-negative; predicted CLV present exactly when
-- the LTV basis is predicted_clv; the expected order value present whenever CLV is.
select
    customer_key,
    ltv_basis,
    expected_purchases_30d,
    expected_average_order_value,
    predicted_clv
from {{ ref('customer_clv') }}
where expected_purchases_30d < 0
    or expected_average_order_value < 0
    or predicted_clv < 0
    or (ltv_basis = 'predicted_clv') <> (predicted_clv is not null)
    or (predicted_clv is not null and expected_average_order_value is null)
