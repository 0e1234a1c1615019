{% macro delete_orders_of_latest_load() -%}
    {#- fact_sales' pre-hook: on an incremental run, delete every order id the latest staging load touched,
        including orders that are no longer clean (a new file made them a conflicting duplicate). The
        model's delete+insert then re-inserts the ones that are still clean. No-op on a full build. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where order_id in (
            select order_id
            from {{ ref('stg_sales__validated') }}
            where load_id = (select max(load_id) from {{ ref('stg_sales__validated') }})
                and order_id is not null
        )
    {%- endif -%}
{%- endmacro %}
