with orders as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file
    from {{ ref('stg_sales') }}

)

select
    order_id,
    {{ surrogate_key('customer_id') }} as customer_key,
    {{ date_key('order_date') }} as order_date_key,
    customer_id,
    order_date,
    amount,
    source_file
from orders
