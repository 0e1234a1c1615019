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

{% macro trimmed_text(column) -%}
    {{- adapter.dispatch('trimmed_text', 'marketing_warehouse')(column) -}}
{%- endmacro %}

{% macro default__trimmed_text(column) -%}
    {#- nullif(trim(x), ''): the text without its edge spaces, null when nothing is left. trim() copies every
        value it is given, and few values have an edge space, so only those that may are trimmed: a space
        at either end, or any non-ASCII character (DuckDB's trim also removes Unicode spaces such as the
        no-break space of spreadsheet exports; strlen counts bytes, length characters). The same result;
        at 20M touches ~2.4 -> ~0.7 CPU-s per column. -#}
    case
        when {{ column }} like ' %' or {{ column }} like '% ' or strlen({{ column }}) <> length({{ column }})
            then nullif(trim({{ column }}), '')
        else nullif({{ column }}, '')
    end
{%- endmacro %}

{% macro spark__trimmed_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}
