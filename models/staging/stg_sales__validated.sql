{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail'
) }}

{#- One row per raw row: the raw text, the parsed values and the verdict. The only model that parses the
    raw file(s); stg_sales, stg_sales_returns, stg_sales_rejected and the reconciliation all read this table.

    What a file holds and how to read it comes from the input spec (macros/input_spec.sql); each feature
    is compiled in only when the spec asks for it, so the default file pays for none of them: the
    default path is the same SQL as before ids became text, plus the cancellation-marker check.

    Incremental (see the model's YAML and the README): an incremental run parses only the files not yet
    loaded (the `filename` filter lets DuckDB skip the loaded files entirely), re-reads from this table
    the rows of every order id that appears in those files, judges the union exactly as a full build would
    and replaces those order ids (delete+insert keyed on order_id: every row of an affected order id is
    deleted and re-inserted with its new verdict). So an incremental build ends in the same state as a full
    rebuild of all files. `load_id` numbers the loads (1 on a full build); fact_sales reads the latest. -#}

{%- set spec = input_spec() -%}
{%- set columns = spec.columns -%}
{%- set has_order_id = 'order_id' in columns -%}
{%- set has_row_index = 'row_index' in columns -%}
{%- set has_line_prices = 'quantity' in columns -%}
{%- set is_lines = spec.rows == 'lines' -%}
{%- set conflict_reason = 'conflicting_order_lines' if is_lines else 'conflicting_duplicate_order_id' -%}
{#- Columns stored only when the spec has them (three null text columns cost ~1 s per 10M rows to write). -#}
{%- set stored_extras = (['raw_quantity', 'raw_unit_price'] if has_line_prices else [])
    + (['row_fingerprint'] if is_lines else []) -%}

{%- set loaded_files = loaded_source_files(this) %}

with source as (

    select
        filename as source_file,
        {% if has_row_index -%}
        {{ raw_field(spec, columns.row_index) }} as raw_row_index,
        {%- else -%}
        {{ raw_row_number(spec) }} as raw_row_number,
        {%- endif %}
        {{ raw_field(spec, columns.order_date) }} as raw_date,
        {{ raw_field(spec, columns.customer_id) }} as raw_customer_id,
        {{ raw_field(spec, columns.order_id) if has_order_id else 'cast(null as string)' }} as raw_order_id,
        {{ raw_field(spec, columns.amount) if 'amount' in columns else 'cast(null as string)' }} as raw_sales,
        {{ raw_field(spec, columns.quantity) if has_line_prices else 'cast(null as string)' }} as raw_quantity,
        {{ raw_field(spec, columns.unit_price) if has_line_prices else 'cast(null as string)' }} as raw_unit_price,
        {{ row_fingerprint(spec) if is_lines else 'cast(null as string)' }} as row_fingerprint
    from {{ raw_sales(spec) }} as raw_rows
    {%- if is_incremental() %}
    where {{ not_loaded_yet('filename', loaded_files, this) }}
    {%- endif %}

),

trimmed as (

    select
        source_file,
        {% if has_row_index -%}
        try_cast(trim(raw_row_index) as bigint) as source_row_index,
        {%- else -%}
        raw_row_number as source_row_index,
        {%- endif %}
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        raw_quantity,
        raw_unit_price,
        row_fingerprint,
        {{ trimmed_text('raw_date') }} as date_text,
        {{ trimmed_text('raw_sales') }} as sales_text,
        {{ trimmed_text('raw_quantity') }} as quantity_text,
        {{ trimmed_text('raw_unit_price') }} as unit_price_text
    from source

),

parsed as (

    select
        trimmed.*,
        {% if has_order_id -%}
        {{ canonical_id('raw_order_id') }} as order_id,
        {%- else -%}
        -- No order id in the file: every row is its own order, named by its file and row.
        parse_filename(source_file) || ':' || source_row_index as order_id,
        {%- endif %}
        {{ canonical_id('raw_customer_id') }} as customer_id,
        {{ parse_order_date('date_text', spec.date_format) }} as order_date,
        {% if has_line_prices -%}
        {{ parse_amount('quantity_text', spec.decimal_separator) }} as quantity_value,
        {{ parse_amount('unit_price_text', spec.decimal_separator) }} as unit_price_value
        {%- else -%}
        {{ parse_amount('sales_text', spec.decimal_separator) }} as amount_value
        {%- endif %}
    from trimmed

),

{% if has_line_prices -%}
line_amounts as (

    -- quantity x unit price, exact in decimals (up to 4 decimals of quantity, 6 of price) and rounded to
    -- cents per line, as an invoice does.
    select
        parsed.*,
        cast(round(
            try_cast(quantity_value as decimal(18, 4)) * try_cast(unit_price_value as decimal(18, 6)), 2
        ) as double) as amount_value
    from parsed

),

{% endif -%}
classified as (

    -- A return (or cancellation) is neither an order nor noise: it keeps its own outcome and fact table.
    select
        amounts.*,
        {% set return_rules = [] -%}
        {%- if has_order_id -%}
            {%- do return_rules.append(is_cancellation('order_id', cancellation_prefixes())) -%}
        {%- endif -%}
        {%- if has_line_prices -%}{%- do return_rules.append('quantity_value < 0') -%}{%- endif -%}
        {%- if spec.has_returns -%}{%- do return_rules.append('amount_value < 0') -%}{%- endif -%}
        coalesce({{ return_rules | join(' or ') if return_rules else 'false' }}, false) as is_return
    from {{ 'line_amounts' if has_line_prices else 'parsed' }} as amounts

),

new_rows as (

    select
        source_file,
        source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        raw_quantity,
        raw_unit_price,
        row_fingerprint,
        order_id,
        customer_id,
        order_date,
        case
            when abs(amount_value) <= {{ var('max_order_amount') }}
                then {{ money('amount_value') }}
        end as amount,
        is_return,
        -- Checks run in the order of seeds/rejection_reasons.csv; the first that fails is the reason.
        case
            {% if has_order_id -%}
            when order_id is null then
                case when {{ trimmed_text('raw_order_id') }} is null then 'missing_order_id' else 'invalid_order_id' end
            {% endif -%}
            when customer_id is null then
                case
                    when {{ trimmed_text('raw_customer_id') }} is null then 'missing_customer_id'
                    else 'invalid_customer_id'
                end
            when date_text is null then 'missing_date'
            when order_date is null then 'unparseable_date'
            when order_date < date '{{ var("valid_order_date_min") }}'
                or order_date > date '{{ var("valid_order_date_max") }}'
                then 'date_out_of_range'
            {% if var('as_of_date') -%}
            when order_date > date '{{ var("as_of_date") }}' then 'date_after_as_of_date'
            {% endif -%}
            {% if has_line_prices -%}
            when quantity_value is null or {{ is_not_finite('quantity_value') }} then 'invalid_quantity'
            when unit_price_value is null or {{ is_not_finite('unit_price_value') }}
                then 'invalid_unit_price'
            when amount_value is null then 'amount_out_of_range'
            {% else -%}
            when sales_text is null then 'missing_amount'
            when amount_value is null or {{ is_not_finite('amount_value') }} then 'invalid_amount'
            {% endif -%}
            when amount_value < 0 and not is_return then 'negative_amount'
            when round(abs(amount_value), 2) = 0 then 'zero_amount'
            when abs(amount_value) > {{ var('max_order_amount') }} then 'amount_out_of_range'
        end as row_rejection_reason
    from classified

),

row_checked as {% call materialized_cte() %}

    -- Materialized (read several times below), so it is kept narrow: the raw text is stored only where it
    -- differs from the parsed value's canonical text (compact_raw_text, as in the final table), which
    -- makes the text columns almost all null.
    select
        source_file,
        source_row_index,
        {{ compact_raw_text('raw_date', 'order_date') }} as raw_date,
        {{ compact_raw_text('raw_customer_id', 'customer_id') }} as raw_customer_id,
        {{ compact_raw_text('raw_order_id', 'order_id') }} as raw_order_id,
        {{ compact_raw_text('raw_sales', 'amount') }} as raw_sales,
        {%- for column in stored_extras %}
        {{ column }},
        {%- endfor %}
        order_id,
        customer_id,
        order_date,
        amount,
        is_return,
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
        {%- for column in stored_extras %}
        {{ column }},
        {%- endfor %}
        order_id,
        customer_id,
        order_date,
        amount,
        is_return,
        nullif(rejection_reason, '{{ conflict_reason }}') as row_rejection_reason,
        true as is_reloaded_row
    from {{ this }}
    where order_id in (select order_id from new_rows where order_id is not null)
    {%- endif %}

{% endcall %},

{% if is_lines -%}
-- One row per product line: an order has many rows. Exact duplicate lines (every field of the export the
-- same, product columns included) collapse into the first (by file, row); the lines of an order (or of a
-- return) must agree on customer and date, else every line of it is quarantined.

order_versions as (

    select
        order_id,
        is_return,
        min(customer_id) <> max(customer_id) or min(order_date) <> max(order_date) as has_conflicting_versions
    from row_checked
    where row_rejection_reason is null
    group by order_id, is_return

),

versions_compared as (

    select
        row_checked.*,
        coalesce(order_versions.has_conflicting_versions, false) as has_conflicting_versions,
        case
            when row_checked.row_rejection_reason is null
                then row_number() over (
                    partition by row_checked.row_rejection_reason is null, row_checked.row_fingerprint
                    order by row_checked.source_file, row_checked.source_row_index
                )
            else 1
        end as identical_row_number
    from row_checked
    left join order_versions
        on row_checked.order_id = order_versions.order_id
        and row_checked.is_return = order_versions.is_return

),
{%- else -%}
-- One row per order: an order id appears once. Orders and returns are judged apart (a refund row may
-- carry the id of the order it refunds).

repeated_order_ids as (

    -- Order ids with more than one row that passed the row checks: usually none. Finding them is the
    -- cheap part (repeated_keys: a sort of the ids); the versions are compared on the few repeated rows.
    {{ repeated_keys(['order_id', 'is_return'], 'row_checked', 'row_rejection_reason is null') }}

),

repeated_orders as (

    -- Order ids with more than one row that passed the row checks: usually none, so the window below
    -- only ever sees these few rows instead of sorting every row.
    select
        order_id,
        is_return,
        min(customer_id) <> max(customer_id)
        or min(order_date) <> max(order_date)
        or min(amount) <> max(amount) as has_conflicting_versions
    from row_checked
    where row_rejection_reason is null
        and order_id in (select order_id from repeated_order_ids)
    group by order_id, is_return

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
        coalesce(repeated_orders.has_conflicting_versions, false) as has_conflicting_versions,
        row_number() over (
            partition by row_checked.order_id, row_checked.is_return, customer_id, order_date, amount
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
    left join repeated_orders
        on row_checked.order_id = repeated_orders.order_id
        and row_checked.is_return = repeated_orders.is_return
    where row_checked.row_rejection_reason is null
        and row_checked.order_id in (select order_id from repeated_orders)

),

versions_compared as (

    select * from single_rows
    union all
    select * from repeated_rows

),
{%- endif %}

final as (

    select
        source_file,
        source_row_index,
        raw_date,
        raw_customer_id,
        raw_order_id,
        raw_sales,
        {%- for column in stored_extras %}
        {{ column }},
        {%- endfor %}
        order_id,
        customer_id,
        order_date,
        amount,
        is_return,
        coalesce(
            row_rejection_reason,
            case when has_conflicting_versions then '{{ conflict_reason }}' end
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
    {%- for column in stored_extras %}
    {{ column }},
    {%- endfor %}
    order_id,
    customer_id,
    order_date,
    amount,
    is_return,
    rejection_reason,
    is_collapsed_duplicate,
    case
        when rejection_reason is not null then 'rejected'
        when is_collapsed_duplicate then 'collapsed_duplicate'
        when is_return then 'return'
        else 'clean'
    end as row_outcome,
    {% if is_incremental() -%}
        (select coalesce(max(load_id), 0) + 1 from {{ this }})
    {%- else -%}
        1
    {%- endif %} as load_id
from final
