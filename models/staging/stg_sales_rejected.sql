{%- set has_line_prices = 'quantity' in input_spec().columns %}

with validated as (

    select
        source_file,
        source_row_index,
        {{ raw_text('raw_date', 'order_date') }} as raw_date,
        {{ raw_text('raw_customer_id', 'customer_id') }} as raw_customer_id,
        {{ raw_text('raw_order_id', 'order_id') }} as raw_order_id,
        {{ raw_text('raw_sales', 'amount') }} as raw_sales,
        {%- if has_line_prices %}
        raw_quantity,
        raw_unit_price,
        {%- else %}
        -- Only line-item files have these (stg_sales__validated stores them only then).
        cast(null as string) as raw_quantity,
        cast(null as string) as raw_unit_price,
        {%- endif %}
        rejection_reason,
        load_id
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
        validated.raw_quantity,
        validated.raw_unit_price,
        validated.rejection_reason,
        reasons.description as rejection_description,
        validated.load_id
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
    raw_quantity,
    raw_unit_price,
    rejection_reason,
    rejection_description,
    load_id
from described
