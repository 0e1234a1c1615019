{#- The one date every recency rule is relative to. One row. -#}

with orders as (

    select order_date
    from {{ ref('fact_sales') }}

),

bounds as (

    select
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders

)

select
    {% if var('as_of_date') -%}
        date '{{ var("as_of_date") }}' as as_of_date,
        'as_of_date var' as as_of_date_source,
    {%- else -%}
        last_order_date as as_of_date,
        'last order date' as as_of_date_source,
    {%- endif %}
    first_order_date,
    last_order_date
from bounds
