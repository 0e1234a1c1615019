-- Each cohort has one cell per month from its acquisition month to the analysis date's month, and the
-- cohorts' revenue adds up to fact_sales.
with cells as (

    select
        cohort_month,
        count(*) as cell_count,
        max(months_since_first_order) as last_month_index,
        sum(revenue) as revenue
    from {{ ref('cohort_retention') }}
    group by cohort_month

),

analysis_date as (

    select date_trunc('month', as_of_date)::date as as_of_month
    from {{ ref('int_analysis_date') }}

),

facts as (

    select coalesce(sum(amount), 0) as revenue
    from {{ ref('fact_sales') }}

),

cohort_totals as (

    select coalesce(sum(revenue), 0) as revenue
    from cells

),

missing_cells as (

    select
        cells.cohort_month,
        cells.cell_count,
        {{ dbt.datediff('cells.cohort_month', 'analysis_date.as_of_month', 'month') }} + 1 as expected_cell_count
    from cells
    cross join analysis_date
    where cells.cell_count <> {{ dbt.datediff('cells.cohort_month', 'analysis_date.as_of_month', 'month') }} + 1
        or cells.last_month_index <> {{ dbt.datediff('cells.cohort_month', 'analysis_date.as_of_month', 'month') }}

),

revenue_mismatch as (

    select
        cohort_totals.revenue as cohort_revenue,
        facts.revenue as fact_revenue
    from cohort_totals
    cross join facts
    where cohort_totals.revenue <> facts.revenue

)

select
    'cell count' as failure,
    cohort_month,
    cell_count::double as actual,
    expected_cell_count::double as expected
from missing_cells

union all

select
    'revenue',
    null,
    cohort_revenue::double,
    fact_revenue::double
from revenue_mismatch
