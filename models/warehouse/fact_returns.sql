{#- One row per return or cancellation (stg_sales_returns), with keys to the dimensions. Rebuilt in full on
    every build: returns are a small share of the rows, and reading them from stg_sales__validated is one
    narrow scan, so it needs none of fact_sales' incremental machinery. A return's customer may have no
    order in the data (a return of a purchase made before the data starts): its customer_key then has no
    row in dim_customer; monthly_metrics counts the return all the same. -#}
-- Built only once the staging gate (the input_makes_a_warehouse test on stg_sales) has passed:
-- depends_on: {{ ref('stg_sales') }}

with returns as (

    select
        return_id,
        customer_id,
        return_date,
        returned_amount,
        line_count,
        source_file
    from {{ ref('stg_sales_returns') }}

)

select
    return_id,
    {{ surrogate_key('customer_id') }} as customer_key,
    {{ date_key('return_date') }} as return_date_key,
    customer_id,
    return_date,
    returned_amount,
    line_count,
    source_file
from returns
