{#- Ids as text, matched across every source (sales, touchpoints) in one canonical form, and the stable
    64-bit key the star schema joins on. The one place that says what "the same customer" means. -#}

{% macro canonical_id(column) -%}
    {#- Trimmed text. Integer-like ids (1-18 digits, optionally the '.0' pandas writes for float columns)
        lose their leading zeros, so '0012', '12' and '12.0' are one id (as before ids became text);
        anything else (C-1001, e-mail addresses, UUIDs) is kept as trimmed text, case and all, up to the
        max_id_length var. Null when empty or longer than that.
        The first branch is only a shortcut, with the same result: a value that is already the canonical
        text of an integer (what almost every export writes) is returned as it is, found by a cast and
        its round trip instead of trim() and a regular expression (about half the cost at 10M rows).
        Such a value is either 1-18 digits without a leading zero (the second branch gives it back
        unchanged) or a negative or 19-digit number (the third branch keeps it as text): the same text. -#}
    case
        when cast(try_cast({{ column }} as bigint) as string) = {{ column }}
            {%- if var('max_id_length') | int < 20 %} and length({{ column }}) <= {{ var('max_id_length') }}{% endif %}
            then {{ column }}
        when {{ regexp_matches_fully('trim(' ~ column ~ ')', '[0-9]{1,18}([.]0+)?') }}
            then cast(cast(split_part(trim({{ column }}), '.', 1) as bigint) as string)
        when length(trim({{ column }})) between 1 and {{ var('max_id_length') }}
            then trim({{ column }})
    end
{%- endmacro %}

{% macro id_key(canonical_column) -%}
    {#- The key of a canonical id, the same in every build and load: the integer itself for integer ids
        (non-negative), a negative number from the MD5 of the text otherwise, so the two kinds never
        collide (two text ids share a key with probability ~n^2 / 2^64). The first branch is a shortcut
        for canonical integer text (a cast and its round trip; no regular expression), with the result of
        the second. MD5 costs ~0.7 s per million text ids; integer ids never reach it. -#}
    case
        when cast(try_cast({{ canonical_column }} as bigint) as string) = {{ canonical_column }}
            and try_cast({{ canonical_column }} as bigint) between 0 and 999999999999999999
            then try_cast({{ canonical_column }} as bigint)
        when {{ regexp_matches_fully(canonical_column, '[0-9]{1,18}') }}
            then cast({{ canonical_column }} as bigint)
        else -1 - {{ md5_key_number(canonical_column) }}
    end
{%- endmacro %}

{% macro order_sort_key(canonical_column) -%}
    {#- A BIGINT that orders canonical ids: integer ids by their value (what "the highest order id" meant when
        ids were integers), other ids after a stable MD5-derived number (an arbitrary but fixed order). Not
        a key: '1e3' and '1000' share one. For tie-breaks only; a try_cast is the whole cost for integer ids
        (COALESCE computes the MD5 only where the cast fails). -#}
    coalesce(try_cast({{ canonical_column }} as bigint), -1 - {{ md5_key_number(canonical_column) }})
{%- endmacro %}

{% macro id_text_beside_key(id_column, key_column) -%}
    {#- A canonical id to store beside its key (id_key): null when the key already holds it. An integer id
        (key >= 0) is its key's digits, and writing ~20M such texts again costs ~4-10 CPU-s at 10M orders
        (DuckDB's string compression; DECISIONS.md, "Where the 10M marketing time goes"). id_from_key gives
        the id back. -#}
    case when {{ key_column }} >= 0 then null else {{ id_column }} end
{%- endmacro %}

{% macro id_from_key(id_column, key_column) -%}
    {#- The canonical id stored by id_text_beside_key: the text when there is one, else the key's digits. -#}
    coalesce({{ id_column }}, cast({{ key_column }} as {{ dbt.type_string() }}))
{%- endmacro %}
