{#- Parsing of the marketing files' text fields (dates reuse parse_iso_date, amounts parse_amount). -#}

{% macro parse_event_time(column) -%}
    {{ return(adapter.dispatch('parse_event_time')(column)) }}
{%- endmacro %}

{% macro spark__parse_event_time(column) -%}
    {#- As default__parse_event_time; Spark's cast reads the offset and the session time zone is UTC
        (profiles.yml), so the instant is the UTC time, as on DuckDB. -#}
    {%- set local = "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?" -%}
    case
        when {{ regexp_matches_fully(column, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?') }}
            then try_cast({{ column }} as timestamp)
        when {{ regexp_matches_fully(column, local ~ 'Z') }}
            then try_cast(left({{ column }}, length({{ column }}) - 1) as timestamp)
        when {{ regexp_matches_fully(column, local ~ ' ?([+-][0-9]{2}(:?[0-9]{2})?)') }}
            then try_cast(regexp_replace({{ column }}, ' ([+-])', '$1') as timestamp)
    end
{%- endmacro %}

{% macro default__parse_event_time(column) -%}
    {#- An ISO date or timestamp: 2021-03-05, 2021-03-05 14:02, 2021-03-05T14:02:11.250. With a UTC offset
        (Z, +02:00, -0500) it is converted to UTC; without one it is taken as written. Anything else (day-first
        dates, epoch numbers, 2021-3-5) stays unparsed. The session time zone never matters: a timestamp with
        an offset is converted explicitly to UTC, one without is never converted. `column` is trimmed text.
        'Z' (the usual offset of click trackers) is read without the time-zone library.
        The first two branches are only shortcuts, with the same result: a text that is already the
        canonical text of a timestamp of the years 1-9999 (what most exports write: 2021-03-05 14:02:11),
        or that text with a 'T' for the space and a 'Z' after it (2021-03-05T14:02:11Z, click trackers), is
        found by a cast and its round trip instead of regular expressions (20M touches: 3.9 -> 2.8 CPU s;
        DECISIONS.md, "The daily build"; tests/test_staging.py). DuckDB writes such a timestamp as
        YYYY-MM-DD HH:MM:SS with a zero-padded 4-digit year, always with the seconds, and a fraction only
        when there is one (1 to 6 digits, trailing zeros dropped); other timestamps are written otherwise
        ('10000-01-01 00:00:00', '0001-01-01 (BC) 00:00:00', 'infinity'), hence the range check. So a text
        that passes the first check matches the first pattern below and gets its value, try_cast(text as
        timestamp); one that passes the second (whatever DuckDB's cast made of the 'Z': only the shape of
        the text is used) matches the second pattern, not the first, and gets its value. DuckDB computes
        the cast once for the whole CASE (cheaper than guards on the text). Spark keeps the patterns. -#}
    {%- set local = "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?" -%}
    case
        when try_cast({{ column }} as timestamp)
                between timestamp '0001-01-01 00:00:00' and timestamp '9999-12-31 23:59:59.999999'
            and cast(try_cast({{ column }} as timestamp) as varchar) = {{ column }}
            then try_cast({{ column }} as timestamp)
        when try_cast({{ column }} as timestamp)
                between timestamp '0001-01-01 00:00:00' and timestamp '9999-12-31 23:59:59.999999'
            and cast(try_cast({{ column }} as timestamp) as varchar) || 'Z' = replace({{ column }}, 'T', ' ')
            then try_cast(left({{ column }}, length({{ column }}) - 1) as timestamp)
        when regexp_full_match({{ column }}, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?')
            then try_cast({{ column }} as timestamp)
        when regexp_full_match({{ column }}, '{{ local }}Z')
            then try_cast(left({{ column }}, length({{ column }}) - 1) as timestamp)
        when regexp_full_match({{ column }}, '{{ local }} ?([+-][0-9]{2}(:?[0-9]{2})?)')
            then timezone('UTC', try_cast({{ column }} as timestamptz))
    end
{%- endmacro %}

{% macro parse_count(column) -%}
    {#- A whole non-negative number: 1234, 1,234 or 1234.0 (as a float column exports it). -#}
    case
        when {{ regexp_matches_fully(column, '([0-9]{1,3}(,[0-9]{3})+|[0-9]{1,18})([.]0+)?') }}
            then try_cast(split_part(replace({{ column }}, ',', ''), '.', 1) as bigint)
    end
{%- endmacro %}

{% macro no_value_label() -%}
    {#- The channel of an order without a touch in its window, and the campaign of a touch without one. -#}
    '(none)'
{%- endmacro %}
