-- The star schema keeps every clean order: fact_sales and stg_sales agree on orders and revenue.
with staged as (

    select
        count(*) as orders,
        coalesce(sum(amount), 0) as revenue
    from {{ ref('stg_sales') }}

),

facts as (

    select
        count(*) as orders,
        coalesce(sum(amount), 0) as revenue
    from {{ ref('fact_sales') }}

)

select
    staged.orders as staged_orders,
    facts.orders as fact_orders,
    staged.revenue as staged_revenue,
    facts.revenue as fact_revenue
from staged
cross join facts
where staged.orders <> facts.orders
    or staged.revenue <> facts.revenue
