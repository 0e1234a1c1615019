{#- Parsing of raw text fields. One definition each, shared by staging and its unit tests. -#}

{% macro parse_integer_id(column) -%}
    {#- Integer-like ids: 1 to 18 digits, optionally with the '.0' pandas writes for float columns. -#}
    case
        when regexp_full_match({{ column }}, '[0-9]{1,18}(\.0+)?')
            then cast(split_part({{ column }}, '.', 1) as bigint)
    end
{%- endmacro %}

{% macro parse_iso_date(column) -%}
    {#- ISO dates only (2021-01-31), optionally followed by a time ('2021-01-31 00:00:00' or 'T00:00').
        Day-first or month-first forms like 05/01/2021 are ambiguous and stay unparsed. -#}
    case
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?')
            then try_cast(left({{ column }}, 10) as date)
    end
{%- endmacro %}

{% macro parse_amount(column) -%}
    {#- Decimal amounts, optionally with a leading currency symbol and comma thousands separators
        (1234.5, $1,234.50, € 99). A decimal comma (12,50) is ambiguous and stays unparsed. -#}
    case
        when regexp_full_match(
            {{ column }},
            '-?[$€£]? ?-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?|-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+'
        )
            then try_cast(regexp_replace({{ column }}, '[$€£ ,]', '', 'g') as double)
    end
{%- endmacro %}
