{% macro surrogate_key(column) -%}
    {#- The key of a natural id: the same customer gets the same key in every build, so incremental facts
        and rebuilt dimensions always join. Staging validates ids as 64-bit integers (1-18 digits), which
        are stable and unique already, so the key is the id itself; the one place to change if a source
        ever brings text ids. (An md5 hash of the id cost 5 s per 10M orders and bought nothing.) -#}
    cast({{ column }} as bigint)
{%- endmacro %}

{% macro date_key(column) -%}
    {#- Integer yyyymmdd key of a date, the conventional date-dimension key. -#}
    cast(strftime({{ column }}, '%Y%m%d') as integer)
{%- endmacro %}
