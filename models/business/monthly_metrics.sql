{#- One row per calendar month from the first order's (or return's) month to the analysis date's month;
    months without orders are present with zeros. Revenue is gross (orders); returns are netted off in the
    month they were made (a cancellation does not say which order it cancels). -#}

-- orders and customers are read two and three times below: each reader scans fact_sales or dim_customer again
-- instead of DuckDB holding the 10M and 8.4M rows in memory (inlined_cte).
with orders as {% call inlined_cte() %}

    select
        customer_key,
        order_date,
        amount
    from {{ ref('fact_sales') }}

{% endcall %},

returns as (

    select
        return_date,
        returned_amount
    from {{ ref('fact_returns') }}

),

customers as {% call inlined_cte() %}

    select
        customer_key,
        cohort_month,
        -- Orders in one month only: active in their cohort month and no other.
        {{ dbt.date_trunc('month', 'last_order_date') }} = cohort_month as is_single_month
    from {{ ref('dim_customer') }}

{% endcall %},

calendar as (

    select distinct month_start_date
    from {{ ref('dim_date') }}

),

analysis_date as (

    select as_of_date
    from {{ ref('int_analysis_date') }}

),

months as (

    select
        calendar.month_start_date,
        last_day(calendar.month_start_date) <= analysis_date.as_of_date as is_complete_month
    from calendar
    cross join analysis_date
    where calendar.month_start_date <= analysis_date.as_of_date

),

monthly_orders as (

    select
        date_trunc('month', order_date)::date as month_start_date,
        sum(amount) as revenue,
        count(*) as orders
    from orders
    group by 1

),

-- Active customers = customers with an order in the month. One whose orders all fall in one month is
-- active in their cohort month only (counted from dim_customer); the others' (customer, month) pairs are
-- counted from their orders alone (at 10M orders 2.6M of 10.1M), not from every order.
multi_month_active as (

    select
        date_trunc('month', orders.order_date)::date as month_start_date,
        count(distinct orders.customer_key) as active_customers
    from orders
    inner join customers
        on orders.customer_key = customers.customer_key
    where not customers.is_single_month
    group by 1

),

single_month_active as (

    select
        cohort_month as month_start_date,
        count(*) as active_customers
    from customers
    where is_single_month
    group by 1

),

monthly_returns as (

    select
        date_trunc('month', return_date)::date as month_start_date,
        count(*) as return_count,
        sum(returned_amount) as returned_amount
    from returns
    group by 1

),

monthly_new_customers as (

    select
        cohort_month as month_start_date,
        count(*) as new_customers
    from customers
    group by 1

),

joined as (

    select
        months.month_start_date,
        months.is_complete_month,
        coalesce(monthly_orders.revenue, 0) as revenue,
        coalesce(monthly_orders.orders, 0) as orders,
        coalesce(multi_month_active.active_customers, 0) + coalesce(single_month_active.active_customers, 0)
            as active_customers,
        coalesce(monthly_new_customers.new_customers, 0) as new_customers,
        coalesce(monthly_returns.return_count, 0) as return_count,
        coalesce(monthly_returns.returned_amount, 0) as returned_amount
    from months
    left join monthly_orders
        on months.month_start_date = monthly_orders.month_start_date
    left join monthly_new_customers
        on months.month_start_date = monthly_new_customers.month_start_date
    left join multi_month_active
        on months.month_start_date = multi_month_active.month_start_date
    left join single_month_active
        on months.month_start_date = single_month_active.month_start_date
    left join monthly_returns
        on months.month_start_date = monthly_returns.month_start_date

),

with_previous as (

    select
        *,
        lag(revenue) over (order by month_start_date) as previous_revenue,
        lag(active_customers) over (order by month_start_date) as previous_active_customers
    from joined

)

select
    month_start_date,
    {{ date_text('month_start_date', '%Y-%m', 'yyyy-MM') }} as year_month,
    is_complete_month,
    revenue,
    orders,
    active_customers,
    new_customers,
    active_customers - new_customers as returning_customers,
    {{ money(safe_ratio('revenue', 'orders')) }} as average_order_value,
    {{ money(safe_ratio('revenue', 'active_customers')) }} as revenue_per_customer,
    round({{ safe_ratio('revenue - previous_revenue', 'previous_revenue') }}, 4) as revenue_growth,
    round(
        {{ safe_ratio('active_customers - previous_active_customers', 'previous_active_customers') }}, 4
    ) as active_customers_growth,
    return_count,
    {{ money('returned_amount') }} as returned_amount,
    {{ money('revenue - returned_amount') }} as net_revenue,
    round({{ safe_ratio('returned_amount', 'revenue') }}, 4) as return_rate
from with_previous
