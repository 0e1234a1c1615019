with validated as (

    select
        source_file,
        source_row_index,
        {{ raw_text('raw_date', 'order_date') }} as raw_date,
        {{ raw_text('raw_customer_id', 'customer_id') }} as raw_customer_id,
        {{ raw_text('raw_order_id', 'order_id') }} as raw_order_id,
        {{ raw_text('raw_sales', 'amount') }} as raw_sales,
        rejection_reason
    from {{ ref('stg_sales__validated') }}
    where row_outcome = 'rejected'

),

reasons as (

    select
        rejection_reason,
        description
    from {{ ref('rejection_reasons') }}

),

described as (

    select
        validated.source_file,
        validated.source_row_index,
        validated.raw_date,
        validated.raw_customer_id,
        validated.raw_order_id,
        validated.raw_sales,
        validated.rejection_reason,
        reasons.description as rejection_description
    from validated
    left join reasons
        on validated.rejection_reason = reasons.rejection_reason

)

select
    source_file,
    source_row_index,
    raw_date,
    raw_customer_id,
    raw_order_id,
    raw_sales,
    rejection_reason,
    rejection_description
from described
