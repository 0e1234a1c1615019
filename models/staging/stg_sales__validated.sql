{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail'
) }}

{#- One row per raw row: the raw text, the parsed values and the verdict. The only model that parses the
    raw file(s); stg_sales, stg_sales_rejected and the reconciliation all read this table.

    Incremental (see the model's YAML and the README): an incremental run parses only the files not yet
    loaded (the `filename` filter lets DuckDB skip the loaded files entirely), re-reads from this table
    the rows of every order id that appears in those files, judges the union exactly as a full build would
    and replaces those order ids (delete+insert keyed on order_id: every row of an affected order id is
    deleted and re-inserted with its new verdict). So an incremental build ends in the same state as a full
    rebuild of all files. `load_id` numbers the loads (1 on a full build); fact_sales reads the latest. -#}

{%- set loaded_files = [] -%}
{#- The constant list is only an optimisation (the subquery filter below decides); a unit test mocks `this`
    as a CTE that cannot be queried on its own. -#}
{%- if is_incremental() and execute and model.resource_type != 'unit_test' -%}
    {%- set loaded = run_query("select distinct source_file from " ~ this ~ " order by 1") -%}
    {%- for row in loaded.rows -%}{%- do loaded_files.append(row[0]) -%}{%- endfor -%}
{%- endif %}

with source as (

    select
        filename as source_file,
        "Unnamed: 0" as raw_row_index,
        "Date" as raw_date,
        "Customer ID" as raw_customer_id,
        "Order ID" as raw_order_id,
        "Sales" as raw_sales
    from {{ source('raw', 'sales') }}
    {%- if is_incremental() %}
    -- Constant list: DuckDB prunes these files before reading them.
    where filename not in (
        '' {%- for path in loaded_files %}, '{{ path | replace("'", "''") }}'{% endfor %}
    )
        and filename not in (select source_file from {{ this }})
    {%- endif %}

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

new_rows as (

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

row_checked as materialized (

    -- Materialized (read three times below), so it is kept narrow: the raw text is stored only where it
    -- differs from the parsed value's canonical text (compact_raw_text, as in the final table), which
    -- makes the four text columns almost all null.
    select
        source_file,
        source_row_index,
        {{ compact_raw_text('raw_date', 'order_date') }} as raw_date,
        {{ compact_raw_text('raw_customer_id', 'customer_id') }} as raw_customer_id,
        {{ compact_raw_text('raw_order_id', 'order_id') }} as raw_order_id,
        {{ compact_raw_text('raw_sales', 'amount') }} as raw_sales,
        order_id,
        customer_id,
        order_date,
        amount,
        row_rejection_reason,
        false as is_reloaded_row
    from new_rows
    {%- if is_incremental() %}

    union all

    -- Rows already loaded for an order id that arrives again: judged again together with the new rows.
    -- Their row-level reason is their stored reason, except the cross-row verdict, which is recomputed.
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
        nullif(rejection_reason, 'conflicting_duplicate_order_id') as row_rejection_reason,
        true as is_reloaded_row
    from {{ this }}
    where order_id in (select order_id from new_rows where order_id is not null)
    {%- endif %}

),

repeated_order_ids as (

    -- Order ids with more than one row that passed the row checks: usually none. Counting alone is the
    -- cheap part of a group-by over every order id; the versions are compared on the few repeated rows.
    select order_id
    from row_checked
    where row_rejection_reason is null
    group by order_id
    having count(*) > 1

),

repeated_orders as (

    -- Order ids with more than one row that passed the row checks: usually none, so the window below
    -- only ever sees these few rows instead of sorting every row.
    select
        order_id,
        min(customer_id) <> max(customer_id)
        or min(order_date) <> max(order_date)
        or min(amount) <> max(amount) as has_conflicting_versions
    from row_checked
    where row_rejection_reason is null
        and order_id in (select order_id from repeated_order_ids)
    group by order_id

),

single_rows as (

    select
        row_checked.*,
        false as has_conflicting_versions,
        1 as identical_row_number
    from row_checked
    where row_rejection_reason is not null
        or order_id not in (select order_id from repeated_orders)

),

repeated_rows as (

    select
        row_checked.*,
        repeated_orders.has_conflicting_versions,
        row_number() over (
            partition by row_checked.order_id, customer_id, order_date, amount
            -- The raw text as the rows arrived here: exact for new rows (raw_text() of the compacted text),
            -- the stored text for reloaded rows.
            order by
                source_file,
                source_row_index,
                {%- for raw_column, parsed_column in [('raw_date', 'order_date'), ('raw_customer_id', 'customer_id'),
                    ('raw_order_id', 'row_checked.order_id'), ('raw_sales', 'amount')] %}
                case when is_reloaded_row then {{ raw_column }} else {{ raw_text(raw_column, parsed_column) }} end
                {{- "," if not loop.last }}
                {%- endfor %}
        ) as identical_row_number
    from row_checked
    inner join repeated_orders
        on row_checked.order_id = repeated_orders.order_id
    where row_checked.row_rejection_reason is null

),

versions_compared as (

    select * from single_rows
    union all
    select * from repeated_rows

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
    -- The raw text only where it differs from the canonical text of the parsed value (almost never in a
    -- clean export), compacted in row_checked: writing four text columns for every row was a third of this
    -- model's time at 10M rows. raw_text() in stg_sales_rejected gives back the text exactly as read.
    -- Applying it to a stored row again (incremental re-judging) changes nothing.
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
    end as row_outcome,
    {% if is_incremental() -%}
        (select coalesce(max(load_id), 0) + 1 from {{ this }})
    {%- else -%}
        1
    {%- endif %} as load_id
from final
