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

)

select
    order_id,
    customer_id,
    order_date,
    amount,
    source_file,
    source_row_index
from clean_rows
