{% macro quintile_score(order_by) -%}
    {#- 1-5 by rank: 1 + floor(5 * percent_rank), capped at 5. Tied values share the score of the tie's
        lowest rank, so a heavily tied measure (most customers have one order) uses fewer than 5 scores. -#}
    least(5, 1 + floor(5 * percent_rank() over (order by {{ order_by }})))::integer
{%- endmacro %}

{% macro safe_ratio(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{% macro money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{% macro ltv_percentile_label(column) -%}
    {#- "LTV percentile 99" for 0.9963: floored, so the top customer never reads as "above 100%". -#}
    format('LTV percentile {}', floor(100 * {{ column }})::integer)
{%- endmacro %}
