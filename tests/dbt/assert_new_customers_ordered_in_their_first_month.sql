-- Every new customer of a month (monthly_metrics, counted from dim_customer.cohort_month) ordered in that
-- month (cohort_retention's month-0 cell, counted from fact_sales): fails when a customer's cohort month is
-- not the month of their first order. (Comparing new_customers with cohort_size could not fail: both
-- count dim_customer by cohort_month.)
with cohorts as (

    select
        cohort_month,
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
    cohorts.active_customers as ordered_in_their_first_month,
    months.new_customers
from cohorts
full outer join months
    on cohorts.cohort_month = months.month_start_date
where cohorts.active_customers is distinct from months.new_customers
