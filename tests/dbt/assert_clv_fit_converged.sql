{{ config(severity='warn') }}
-- Warns (never fails the build) when a CLV fit did not converge: the business layer then ranks by historical
-- revenue and predicted CLV is null. The failing rows say which model and why.
select
    model_name,
    converged,
    message,
    ltv_basis_reason
from {{ ref('clv_model_fit') }}
where not converged
