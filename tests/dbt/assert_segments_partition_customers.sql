-- Every customer has exactly one segment: no customer missing, none extra, none twice.
with customers as (

    select customer_key
    from {{ ref('dim_customer') }}

),

segments as (

    select
        customer_key,
        count(*) as segment_rows
    from {{ ref('customer_segments') }}
    group by customer_key

)

select
    coalesce(customers.customer_key, segments.customer_key) as customer_key,
    coalesce(segments.segment_rows, 0) as segment_rows
from customers
full outer join segments
    on customers.customer_key = segments.customer_key
where segments.customer_key is null
    or customers.customer_key is null
    or segments.segment_rows <> 1
