{#- One row per acquisition channel x acquisition month (a cohort), for every month with new customers or
    spend: new customers, the channel's spend that month, CAC, the cohort's mean customer value, LTV:CAC and
    the payback month. Rates with a zero denominator are null. -#}

with acquisitions as (

    select
        customer_key,
        acquisition_channel,
        acquisition_month
    from {{ ref('customer_acquisition') }}

),

customer_values as (

    -- Lifetime value = revenue to date plus the predicted CLV of the coming clv_horizon_months when both CLV
    -- fits converged (customer_ltv.ltv_basis), else revenue to date alone: one basis for everybody.
    select
        customer_key,
        monetary_total
        + case when ltv_basis = 'predicted_clv' then coalesce(predicted_clv, 0) else 0 end as customer_value,
        case
            when ltv_basis = 'predicted_clv' then 'historical_plus_predicted_clv'
            else 'historical_revenue'
        end as value_basis
    from {{ ref('customer_ltv') }}

),

orders as (

    select
        customer_key,
        order_date,
        amount
    from {{ ref('fact_sales') }}

),

spend as (

    select
        channel,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as spend_month,
        spend
    from {{ ref('fact_ad_spend') }}

),

analysis_date as (

    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_analysis_date') }}

),

cohorts as (

    -- Left join: both sides have one row per customer with an order, so none is missing; as an inner join
    -- DuckDB 2.0 pushes a partial aggregate under it that groups all 8M customers by key for nothing
    -- (5.6 -> 2.0 CPU-s at 10M orders).
    select
        acquisitions.acquisition_channel,
        acquisitions.acquisition_month,
        count(*) as new_customers,
        avg(customer_values.customer_value) as mean_customer_value,
        min(customer_values.value_basis) as value_basis
    from acquisitions
    left join customer_values
        on acquisitions.customer_key = customer_values.customer_key
    group by acquisitions.acquisition_channel, acquisitions.acquisition_month

),

monthly_spend as (

    select
        channel,
        spend_month,
        sum(spend) as spend
    from spend
    group by channel, spend_month

),

cohort_revenue as (

    -- Revenue of each cohort by month since its acquisition month (0 = the acquisition month).
    select
        acquisitions.acquisition_channel,
        acquisitions.acquisition_month,
        {{ dbt.datediff('acquisitions.acquisition_month', dbt.date_trunc('month', 'orders.order_date'), 'month') }}
            as months_since_acquisition,
        sum(orders.amount) as revenue
    from orders
    inner join acquisitions
        on orders.customer_key = acquisitions.customer_key
    group by 1, 2, 3

),

cells as (

    select
        coalesce(cohorts.acquisition_channel, monthly_spend.channel) as acquisition_channel,
        coalesce(cohorts.acquisition_month, monthly_spend.spend_month) as acquisition_month,
        coalesce(cohorts.new_customers, 0) as new_customers,
        coalesce(monthly_spend.spend, 0) as spend,
        cohorts.mean_customer_value,
        cohorts.value_basis
    from cohorts
    full outer join monthly_spend
        on cohorts.acquisition_channel = monthly_spend.channel
        and cohorts.acquisition_month = monthly_spend.spend_month

),

cumulative_revenue as (

    select
        cohort_revenue.acquisition_channel,
        cohort_revenue.acquisition_month,
        cohort_revenue.months_since_acquisition,
        sum(cohort_revenue.revenue) over (
            partition by cohort_revenue.acquisition_channel, cohort_revenue.acquisition_month
            order by cohort_revenue.months_since_acquisition
            rows between unbounded preceding and current row
        ) as cumulative_revenue
    from cohort_revenue

),

payback as (

    -- The first month since acquisition in which the cohort's cumulative revenue reaches its spend (only
    -- cohorts with spend: without spend there is nothing to pay back).
    select
        cells.acquisition_channel,
        cells.acquisition_month,
        max(cumulative_revenue.cumulative_revenue) as revenue_to_date,
        min(cumulative_revenue.months_since_acquisition) filter (
            where cells.spend > 0 and cumulative_revenue.cumulative_revenue >= cells.spend
        ) as payback_months
    from cells
    inner join cumulative_revenue
        on cells.acquisition_channel = cumulative_revenue.acquisition_channel
        and cells.acquisition_month = cumulative_revenue.acquisition_month
    group by cells.acquisition_channel, cells.acquisition_month

)

select
    cells.acquisition_channel,
    cells.acquisition_month,
    cells.new_customers,
    cells.spend,
    {{ money(safe_ratio('cells.spend', 'cells.new_customers')) }} as cac,
    {{ money('cells.mean_customer_value') }} as mean_customer_value,
    cells.value_basis,
    {{ round_double(safe_ratio('cells.mean_customer_value', safe_ratio('cells.spend', 'cells.new_customers')), 4) }}
        as ltv_to_cac,
    coalesce(payback.revenue_to_date, 0) as cohort_revenue_to_date,
    payback.payback_months,
    {{ dbt.datediff('cells.acquisition_month', 'analysis_date.as_of_month', 'month') }} as months_observed
from cells
cross join analysis_date
left join payback
    on cells.acquisition_channel = payback.acquisition_channel
    and cells.acquisition_month = payback.acquisition_month
