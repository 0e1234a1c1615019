{#- One row per return: a cancellation invoice (an order id of a prefix of the var
    cancellation_order_id_prefixes), the return lines of an invoice (negative quantities), or a negative
    amount in a file whose input spec says has_returns. A return's lines are summed; the returned amount is positive. Returns are neither
    orders nor rejected rows: fact_returns holds them and the business layer nets them off revenue. -#}

with return_rows as (

    select
        order_id,
        customer_id,
        order_date,
        amount,
        source_file,
        source_row_index
    from {{ ref('stg_sales__validated') }}
    where row_outcome = 'return'

),

returns as (

    -- Lines of one return share customer and date (checked in stg_sales__validated). Every line counts
    -- at its absolute value: a cancellation invoice cancels what it lists, whatever the sign it is written
    -- with.
    select
        order_id as return_id,
        min(customer_id) as customer_id,
        min(order_date) as return_date,
        cast(sum(abs(amount)) as decimal(18, 2)) as returned_amount,
        count(*) as line_count,
        min_by(source_file, source_row_index) as source_file,
        min(source_row_index) as source_row_index
    from return_rows
    group by order_id

)

select
    return_id,
    customer_id,
    return_date,
    returned_amount,
    line_count,
    source_file,
    source_row_index
from returns
