{#- One row per valid order. A file with one row per order (the default) passes its clean rows through; a
    line-item file (`rows: lines` in the input spec, the default when it maps quantity and unit_price) sums
    the clean lines of each order. -#}

{%- set is_lines = input_spec().rows == 'lines' %}

with clean_rows as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file,
        source_row_index
    from {{ ref('stg_sales__validated') }}
    where row_outcome = 'clean'

){% if is_lines %},

orders as (

    -- The lines of an order share its customer and date (stg_sales__validated quarantines an order whose
    -- lines disagree); lineage points at its first line.
    select
        order_id,
        min(customer_id) as customer_id,
        min(order_date) as order_date,
        cast(sum(amount) as decimal(18, 2)) as amount,
        min_by(source_file, source_row_index) as source_file,
        min(source_row_index) as source_row_index
    from clean_rows
    group by order_id

){% endif %}

select
    order_id,
    customer_id,
    order_date,
    amount,
    source_file,
    source_row_index
from {{ 'orders' if is_lines else 'clean_rows' }}
