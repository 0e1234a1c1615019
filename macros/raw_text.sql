{#- stg_sales__validated keeps a raw field's text only where it differs from the canonical text of its
    parsed value; these two macros are the pair that stores and gives back the text exactly as read. -#}

{% macro compact_raw_text(raw_column, parsed_column) -%}
    nullif({{ raw_column }}, cast({{ parsed_column }} as string))
{%- endmacro %}

{% macro raw_text(stored_column, parsed_column) -%}
    {#- Exact: the stored text is null only when the raw text equalled the parsed value's text, or when the
        raw field was empty (then the parsed value is null too). -#}
    coalesce({{ stored_column }}, cast({{ parsed_column }} as string))
{%- endmacro %}
