-- A cohort's size (its month-0 cell) is the number of new customers of that month in monthly_metrics.
with cohorts as (

    select
        cohort_month,
        cohort_size,
        active_customers
    from {{ ref('cohort_retention') }}
    where months_since_first_order = 0

),

months as (

    select
        month_start_date,
        new_customers
    from {{ ref('monthly_metrics') }}
    where new_customers > 0

)

select
    coalesce(cohorts.cohort_month, months.month_start_date) as month_start_date,
    cohorts.cohort_size,
    cohorts.active_customers,
    months.new_customers
from cohorts
full outer join months
    on cohorts.cohort_month = months.month_start_date
where cohorts.cohort_size is distinct from months.new_customers
    or cohorts.active_customers is distinct from cohorts.cohort_size
