{% macro surrogate_key(column) -%}
    {#- A stable 64-bit key derived from the natural id: the same customer gets the same key in every
        build, so incremental facts and rebuilt dimensions always join. -#}
    md5_number_lower(cast({{ column }} as varchar))
{%- endmacro %}

{% macro date_key(column) -%}
    {#- Integer yyyymmdd key of a date, the conventional date-dimension key. -#}
    cast(strftime({{ column }}, '%Y%m%d') as integer)
{%- endmacro %}
