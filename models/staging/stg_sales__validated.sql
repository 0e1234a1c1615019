{{ config(materialized='table') }}

{#- One row per raw row: the raw text, the parsed values and the verdict. The only model that scans the
    raw file; stg_sales, stg_sales_rejected and the reconciliation all read this table. -#}

with source as (

    select
        filename as source_file,
        "Unnamed: 0" as raw_row_index,
        "Date" as raw_date,
        "Customer ID" as raw_customer_id,
        "Order ID" as raw_order_id,
        "Sales" as raw_sales
    from {{ source('raw', 'sales') }}

),

trimmed as (

    select
        source_file,
        raw_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        nullif(trim(raw_date), '') as date_text,
        nullif(trim(raw_customer_id), '') as customer_id_text,
        nullif(trim(raw_order_id), '') as order_id_text,
        nullif(trim(raw_sales), '') as sales_text
    from source

),

parsed as (

    select
        source_file,
        try_cast(trim(raw_row_index) as bigint) as source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        date_text,
        customer_id_text,
        order_id_text,
        sales_text,
        {{ parse_integer_id('order_id_text') }} as order_id,
        {{ parse_integer_id('customer_id_text') }} as customer_id,
        {{ parse_iso_date('date_text') }} as order_date,
        {{ parse_amount('sales_text') }} as amount_value
    from trimmed

),

row_checked as (

    select
        source_file,
        source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        order_id,
        customer_id,
        order_date,
        case
            when amount_value between 0 and {{ var('max_order_amount') }}
                then cast(round(amount_value, 2) as decimal(18, 2))
        end as amount,
        -- Checks run in the order of seeds/rejection_reasons.csv; the first that fails is the reason.
        case
            when order_id_text is null then 'missing_order_id'
            when order_id is null then 'invalid_order_id'
            when customer_id_text is null then 'missing_customer_id'
            when customer_id is null then 'invalid_customer_id'
            when date_text is null then 'missing_date'
            when order_date is null then 'unparseable_date'
            when order_date < date '{{ var("valid_order_date_min") }}'
                or order_date > date '{{ var("valid_order_date_max") }}'
                then 'date_out_of_range'
            {% if var('as_of_date') %}
            when order_date > date '{{ var("as_of_date") }}' then 'date_after_as_of_date'
            {% endif %}
            when sales_text is null then 'missing_amount'
            when amount_value is null or isnan(amount_value) or isinf(amount_value) then 'invalid_amount'
            when amount_value < 0 then 'negative_amount'
            when round(amount_value, 2) = 0 then 'zero_amount'
            when amount_value > {{ var('max_order_amount') }} then 'amount_out_of_range'
        end as row_rejection_reason
    from parsed

),

versions_compared as (

    select
        source_file,
        source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        order_id,
        customer_id,
        order_date,
        amount,
        row_rejection_reason,
        -- Among rows that passed the row checks, an order id whose rows disagree is a conflict.
        row_rejection_reason is null
        and (
            min(customer_id) over same_order <> max(customer_id) over same_order
            or min(order_date) over same_order <> max(order_date) over same_order
            or min(amount) over same_order <> max(amount) over same_order
        ) as has_conflicting_versions,
        row_number() over (
            partition by row_rejection_reason is null, order_id, customer_id, order_date, amount
            order by source_file, source_row_index
        ) as identical_row_number
    from row_checked
    window same_order as (partition by row_rejection_reason is null, order_id)

),

final as (

    select
        source_file,
        source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        order_id,
        customer_id,
        order_date,
        amount,
        coalesce(
            row_rejection_reason,
            case when has_conflicting_versions then 'conflicting_duplicate_order_id' end
        ) as rejection_reason,
        row_rejection_reason is null
        and not has_conflicting_versions
        and identical_row_number > 1 as is_collapsed_duplicate
    from versions_compared

)

select
    source_file,
    source_row_index,
    raw_date,
    raw_customer_id,
    raw_order_id,
    raw_sales,
    order_id,
    customer_id,
    order_date,
    amount,
    rejection_reason,
    is_collapsed_duplicate,
    case
        when rejection_reason is not null then 'rejected'
        when is_collapsed_duplicate then 'collapsed_duplicate'
        else 'clean'
    end as row_outcome
from final
