{{ config(severity='warn') }}
-- Warns (never fails the build) when a CLV fit the warehouse uses did not converge: the business layer then
-- ranks by historical revenue and predicted CLV is null. The failing rows say which model and why. A
-- purchase model fitted only for comparison (model_role = comparison) is not in use and does not warn.
select
    model_name,
    model_role,
    converged,
    message,
    ltv_basis_reason
from {{ ref('clv_model_fit') }}
where not converged
    and model_role in ('purchases', 'spend')
