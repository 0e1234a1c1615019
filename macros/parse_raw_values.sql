{#- Parsing of raw text fields. One definition each, shared by staging, its unit tests and the runner's
    `inspect` (which builds staging on a sample, so it judges rows by exactly these rules). Ids: see
    macros/ids.sql. -#}

{% macro parse_iso_date(column) -%}
    {#- ISO dates only (2021-01-31), optionally followed by a time ('2021-01-31 00:00:00' or 'T00:00') and
        a UTC offset ('T10:00:00Z', '+01:00', ' -0500', ' UTC', as Shopify and Stripe write them; the date
        is taken as written, i.e. the exporter's local date). Day-first or month-first forms like
        05/01/2021 are ambiguous and stay unparsed: the input spec's date_format says which one a file
        uses. -#}
    case
        when {{ regexp_matches_fully(
            column, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+( ?(Z|UTC|[+-][0-9:]+))?)?'
        ) }}
            then try_cast(left({{ column }}, 10) as date)
    end
{%- endmacro %}

{% macro parse_order_date(column, date_format=none) -%}
    {#- The input spec's date_format (a strptime format such as '%Y%m%d' or '%d.%m.%Y'; the whole text must
        match, a time in the format is dropped), else ISO. -#}
    {%- if date_format -%}
        cast(try_strptime({{ column }}, '{{ date_format | replace("'", "''") }}') as date)
    {%- else -%}
        {{ parse_iso_date(column) }}
    {%- endif -%}
{%- endmacro %}

{% macro parse_amount(column, decimal_separator='.') -%}
    {#- Decimal numbers (amounts, quantities, unit prices), optionally signed and with a currency symbol
        before or after the number. With the default decimal point: comma thousands separators
        (1234.5, $1,234.50, € 99, 99 €, 1e3); a decimal comma (12,50) is ambiguous and stays unparsed.
        With decimal_separator ',' (the input spec): 12,50, 1.234,50 and 1 234,50 (a space, no-break
        space or narrow no-break space between thousands), as European exports write them. A double:
        callers round. -#}
    {%- if decimal_separator == ',' -%}
    case
        when {{ regexp_matches_fully(
            column,
            '-?[$€£]? ?-?([0-9]{1,3}([.   ][0-9]{3})+|[0-9]+)(,[0-9]+)?( ?[$€£])?'
        ) }}
            then try_cast(replace({{ regexp_replace_all(column, '[$€£.   ]', '') }}, ',', '.') as double)
    end
    {%- else -%}
    case
        when {{ regexp_matches_fully(
            column,
            '-?[$€£]? ?-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?( ?[$€£])?|-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+'
        ) }}
            then try_cast({{ regexp_replace_all(column, '[$€£ ,]', '') }} as double)
    end
    {%- endif -%}
{%- endmacro %}
