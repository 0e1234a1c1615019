{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
    pre_hook="{{ delete_orders_of_latest_load() }}"
) }}

{#- Incremental on order_id. A full build reads every clean order. An incremental build first deletes
    every order id touched by the latest staging load (pre-hook: this removes an order that became a
    conflict), then inserts the clean orders of that load (delete+insert on order_id). Re-applying the
    same load twice changes nothing, so the model is idempotent. #}
-- depends_on: {{ ref('stg_sales__validated') }}

with orders as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file
    from {{ ref('stg_sales') }}
    {%- if is_incremental() %}
    where order_id in ({{ orders_of_latest_load() }})
    {%- endif %}

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
