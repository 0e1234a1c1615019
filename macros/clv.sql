{% macro days_to_weeks(expression) -%}
    {#- The BG/NBD time unit: weeks = days / 7, as in Fader, Hardie & Lee (2005) and salesdw.clv.tables. -#}
    (({{ expression }}) / 7.0)
{%- endmacro %}
