{% macro surrogate_key(column) -%}
    {#- The key of a natural id: the same customer gets the same key in every build, so incremental facts
        and rebuilt dimensions always join. Ids are text (macros/ids.sql, canonical_id); the key is
        id_key() of the canonical id: the integer itself for integer ids (so every key of a warehouse with
        integer ids is what it was when ids were integers), a negative MD5-derived number for other ids.
        The one place the star schema takes its keys from. -#}
    {{ id_key(column) }}
{%- endmacro %}

{% macro date_key(column) -%}
    {#- Integer yyyymmdd key of a date, the conventional date-dimension key. -#}
    cast({{ date_text(column, '%Y%m%d', 'yyyyMMdd') }} as integer)
{%- endmacro %}
