{#- Parsing of raw text fields. One definition each, shared by staging, its unit tests and the runner's
    `inspect` (which builds staging on a sample, so it judges rows by exactly these rules). Ids: see
    macros/ids.sql. -#}

{% macro parse_iso_date(column) -%}
    {#- ISO dates only (2021-01-31), optionally followed by a time ('2021-01-31 00:00:00' or 'T00:00') and
        a UTC offset ('T10:00:00Z', '+01:00', ' -0500', ' UTC', as Shopify and Stripe write them; the date
        is taken as written, i.e. the exporter's local date). Day-first or month-first forms like
        05/01/2021 are ambiguous and stay unparsed: the input spec's date_format says which one a file
        uses. -#}
    {{- adapter.dispatch('parse_iso_date', 'marketing_warehouse')(column) -}}
{%- endmacro %}

{% macro default__parse_iso_date(column) -%}
    {#- The first branch is only a shortcut, with the same result: a text that is already the canonical
        text of a date of the years 1-9999 (what almost every export writes) is found by a cast and its
        round trip instead of a regular expression (10M dates: 1.24 -> 0.59 CPU s; DECISIONS.md, "The daily
        build"; tests/test_staging.py compares both on traps and generated texts). DuckDB writes such a
        date as YYYY-MM-DD with a zero-padded 4-digit year, which the pattern below matches, and
        left(text, 10) is the text itself. Other dates are written otherwise ('10000-01-01',
        '0001-01-01 (BC)', 'infinity'), hence the range check. DuckDB computes the cast once for the whole
        CASE (a range check on the value is cheaper than length() of the text). Spark keeps the pattern
        alone. -#}
    case
        when try_cast({{ column }} as date) between date '0001-01-01' and date '9999-12-31'
            and cast(try_cast({{ column }} as date) as varchar) = {{ column }}
            then try_cast({{ column }} as date)
        {{ iso_date_by_pattern(column) }}
    end
{%- endmacro %}

{% macro spark__parse_iso_date(column) -%}
    case
        {{ iso_date_by_pattern(column) }}
    end
{%- endmacro %}

{% macro iso_date_by_pattern(column) -%}
    {#- The rule itself (a CASE branch), on every engine. -#}
    when {{ regexp_matches_fully(
            column, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+( ?(Z|UTC|[+-][0-9:]+))?)?'
        ) }}
            then try_cast(left({{ column }}, 10) as date)
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
    {{ adapter.dispatch('parse_decimal_point_amount', 'marketing_warehouse')(column) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__parse_decimal_point_amount(column) -%}
    {#- The first branch is only a shortcut, with the same result: a text that is already the canonical
        text of a decimal(18, 2) (what most exports write: 12.50, -3.99) is found by a cast and its round
        trip instead of a regular expression (10M amounts: 1.93 -> 0.80 CPU s; DECISIONS.md, "The daily
        build"; tests/test_staging.py). DuckDB writes such a decimal as an optional '-', the integer part
        without leading zeros ('0' when zero), '.' and two digits (never '-0.00', '+', spaces, exponents or
        separators), so a text that round-trips matches the pattern below, has nothing for it to remove,
        and its value is the same try_cast(text as double): the double read from the text, not the
        decimal. Spark keeps the pattern alone. -#}
    case
        when cast(try_cast({{ column }} as decimal(18, 2)) as varchar) = {{ column }}
            then try_cast({{ column }} as double)
        {{ decimal_point_amount_by_pattern(column) }}
    end
{%- endmacro %}

{% macro spark__parse_decimal_point_amount(column) -%}
    case
        {{ decimal_point_amount_by_pattern(column) }}
    end
{%- endmacro %}

{% macro decimal_point_amount_by_pattern(column) -%}
    {#- The rule itself (a CASE branch), on every engine. -#}
    when {{ regexp_matches_fully(
            column,
            '-?[$€£]? ?-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?( ?[$€£])?|-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+'
        ) }}
            then try_cast({{ regexp_replace_all(column, '[$€£ ,]', '') }} as double)
{%- endmacro %}
