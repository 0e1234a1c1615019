{% macro analysis_date() -%}
    {#- The date every recency rule is relative to: the as_of_date var when given, else the last order
        date in the data. Never current_date, so rebuilding the same data gives the same answers. -#}
    {%- if var('as_of_date') -%}
        date '{{ var("as_of_date") }}'
    {%- else -%}
        (select max(order_date) from {{ ref('stg_sales') }})
    {%- endif -%}
{%- endmacro %}
