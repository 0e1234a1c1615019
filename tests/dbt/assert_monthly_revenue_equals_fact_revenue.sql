-- Monthly metrics lose and invent nothing: their revenue and orders sum to fact_sales.
with monthly as (

    select
        sum(revenue) as revenue,
        sum(orders) as orders
    from {{ ref('monthly_metrics') }}

),

facts as (

    select
        coalesce(sum(amount), 0) as revenue,
        count(*) as orders
    from {{ ref('fact_sales') }}

)

select
    monthly.revenue as monthly_revenue,
    facts.revenue as fact_revenue,
    monthly.orders as monthly_orders,
    facts.orders as fact_orders
from monthly
cross join facts
where monthly.revenue <> facts.revenue
    or monthly.orders <> facts.orders
