{% macro quintile_score(order_by) -%}
    {#- 1-5 by rank: 1 + floor(5 * percent_rank), capped at 5. Tied values share the score of the tie's
        lowest rank, so a heavily tied measure (most customers have one order) uses fewer than 5 scores. -#}
    least(5, 1 + floor(5 * percent_rank() over (order by {{ order_by }})))::integer
{%- endmacro %}

{% macro value_ranks(relation, column, order_directions) -%}
    {#- One row per distinct value of `column` in `relation` (null included), with what the window functions
        over (order by column <direction>) give every row holding that value, for each direction in
        order_directions ('asc', 'desc'), computed over the distinct values instead of sorting every row:
        <direction>_rows_before = rank - 1 (rows ordered strictly before the value), <direction>_rows_through
        = rows before plus the value's own rows (the end of its peer group); row_total = rows in all.
        percent_rank = rows_before / (row_total - 1), cume_dist = rows_through / row_total, with the same
        double arithmetic as DuckDB's window functions (ranked_percent_rank / ranked_cume_dist). -#}
    select
        {{ column }} as ranked_value,
        {%- for direction in order_directions %}
        coalesce(sum(value_rows) over (
            order by {{ column }} {{ direction }} rows between unbounded preceding and 1 preceding
        ), 0)::bigint as {{ direction }}_rows_before,
        sum(value_rows) over (
            order by {{ column }} {{ direction }} rows between unbounded preceding and current row
        )::bigint as {{ direction }}_rows_through,
        {%- endfor %}
        sum(value_rows) over ()::bigint as row_total
    from (
        select
            {{ column }},
            count(*) as value_rows
        from {{ relation }}
        group by {{ column }}
    ) as value_counts
{%- endmacro %}

{% macro ranked_percent_rank(ranks, direction) -%}
    {#- percent_rank() from a value_ranks row: (rank - 1) / (rows - 1), 0 for a single row. -#}
    case
        when {{ ranks }}.row_total > 1
            then {{ ranks }}.{{ direction }}_rows_before::double / ({{ ranks }}.row_total - 1)::double
        else 0
    end
{%- endmacro %}

{% macro ranked_quintile_score(ranks, direction) -%}
    {#- quintile_score() from a value_ranks row: the same 1 + floor(5 * percent_rank), capped at 5. -#}
    least(5, 1 + floor(5 * {{ ranked_percent_rank(ranks, direction) }}))::integer
{%- endmacro %}

{% macro ranked_cume_dist(ranks, direction) -%}
    {#- cume_dist() from a value_ranks row: rows up to the end of the value's peer group / rows. -#}
    ({{ ranks }}.{{ direction }}_rows_through::double / {{ ranks }}.row_total::double)
{%- endmacro %}

{% macro safe_ratio(numerator, denominator) -%}
    {#- A double on every engine (Spark divides decimals as decimals, DuckDB as doubles). -#}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro money(expression) -%}
    {#- An amount in cents: x * 100 rounded half away from zero, then scaled back. Spelled out rather than
        round(x, 2) because the engines round a double differently (DuckDB its binary value: 105.985 is
        105.98499... and gave 105.98; Spark its shortest decimal text: 105.99). x * 100 is the same double on
        both, and rounding a double without decimals is exact on both, so every engine gives the same cents
        (usually the half-up cents of the decimal value: 423.94 / 4 = 105.985 -> 105.99). -#}
    cast(round(({{ expression }}) * 100) / 100 as decimal(18, 2))
{%- endmacro %}

{% macro whole_number_text(expression) -%}
    {#- A number rounded to a whole number, as text (12.4 -> '12'). For reason texts: a cast, where
        format('{:.0f}') per row cost a second per 8M customers. -#}
    (round({{ expression }})::bigint::string)
{%- endmacro %}

{% macro ltv_ranking_value(ltv_basis, predicted_clv, net_revenue) -%}
    {#- What customers are ranked by for ltv_percentile: predicted CLV when both fits converged (ltv_basis),
        else net revenue to date. A customer without a CLV row (first order after the analysis date) ranks as
        worth nothing yet. int_customer_ltv ranks by it; the customer_ltv view shows it. -#}
    case
        when {{ ltv_basis }} = 'predicted_clv' then coalesce({{ predicted_clv }}, 0)
        else {{ net_revenue }}
    end
{%- endmacro %}

{% macro ltv_percentile_label(column) -%}
    {#- "LTV percentile 99" for 0.9963: floored, so the top customer never reads as "above 100%". -#}
    ('LTV percentile ' || (floor(100 * {{ column }})::integer)::string)
{%- endmacro %}
