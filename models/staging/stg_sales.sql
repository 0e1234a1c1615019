with validated as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file,
        source_row_index,
        row_outcome
    from {{ ref('stg_sales__validated') }}

),

clean as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file,
        source_row_index
    from validated
    where row_outcome = 'clean'

)

select
    order_id,
    customer_id,
    order_date,
    amount,
    source_file,
    source_row_index
from clean
