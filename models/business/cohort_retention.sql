{#- One row per acquisition cohort (month of first order) and month since first purchase, from 0 to the
    analysis date's month; cells without activity are present with zeros.

    A customer whose first and last orders fall in the same month is active in that month only, with their
    lifetime (gross) revenue: counted from dim_customer. Only the other customers' orders are read from
    fact_sales (at 10M orders 1M customers and 2.6M orders of 10.1M), so the distinct count per cell runs
    over those rows alone (DECISIONS.md, "The daily build"). -#}

with orders as (

    select
        customer_key,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

customers as (

    select
        customer_key,
        cohort_month,
        -- Orders in one month only: that month is the cohort's month 0, and nothing else.
        {{ dbt.date_trunc('month', 'last_order_date') }} = cohort_month as is_single_month,
        lifetime_revenue
    from {{ ref('dim_customer') }}

),

analysis_date as (

    select date_trunc('month', as_of_date)::date as as_of_month
    from {{ ref('int_analysis_date') }}

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size
    from customers
    group by cohort_month

),

cells as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        months_since.month_offset::integer as months_since_first_order
    from cohort_sizes
    cross join analysis_date
    {{ integer_series_join(
        '0', dbt.datediff('cohort_sizes.cohort_month', 'analysis_date.as_of_month', 'month'),
        'months_since', 'month_offset'
    ) }}

),

single_month_activity as (

    select
        cohort_month,
        0 as months_since_first_order,
        count(*) as active_customers,
        sum(lifetime_revenue) as revenue
    from customers
    where is_single_month
    group by cohort_month

),

customer_months as (

    select
        customers.cohort_month,
        {{ dbt.datediff('customers.cohort_month', dbt.date_trunc('month', 'orders.order_date'), 'month') }} as months_since_first_order,
        orders.customer_key,
        orders.amount
    from orders
    inner join customers
        on orders.customer_key = customers.customer_key
    where not customers.is_single_month

),

multi_month_activity as (

    select
        cohort_month,
        months_since_first_order,
        count(distinct customer_key) as active_customers,
        sum(amount) as revenue
    from customer_months
    group by cohort_month, months_since_first_order

),

cohort_activity as (

    -- Each customer is in one of the two parts, so their counts and (decimal) revenues add up exactly.
    select
        cohort_month,
        months_since_first_order,
        cast(sum(active_customers) as bigint) as active_customers,
        sum(revenue) as revenue
    from (
        select
            cohort_month,
            months_since_first_order,
            active_customers,
            revenue
        from single_month_activity
        union all
        select
            cohort_month,
            months_since_first_order,
            active_customers,
            revenue
        from multi_month_activity
    ) as activity
    group by cohort_month, months_since_first_order

),

filled as (

    select
        cells.cohort_month,
        cells.months_since_first_order,
        cells.cohort_size,
        coalesce(cohort_activity.active_customers, 0) as active_customers,
        coalesce(cohort_activity.revenue, 0) as revenue
    from cells
    left join cohort_activity
        on cells.cohort_month = cohort_activity.cohort_month
        and cells.months_since_first_order = cohort_activity.months_since_first_order

)

select
    cohort_month,
    months_since_first_order,
    cast({{ dbt.dateadd('month', 'months_since_first_order', 'cohort_month') }} as date) as activity_month,
    cohort_size,
    active_customers,
    round(active_customers / cohort_size, 4) as retention_rate,
    revenue,
    {{ money('cast(sum(revenue) over cohort_to_date as double) / cohort_size') }} as cumulative_revenue_per_customer
from filled
window cohort_to_date as (
    partition by cohort_month
    order by months_since_first_order
    rows between unbounded preceding and current row
)
