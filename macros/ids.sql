{#- Ids as text, matched across every source (sales, touchpoints) in one canonical form, and the stable
    64-bit key the star schema joins on. The one place that says what "the same customer" means. -#}

{% macro canonical_id(column) -%}
    {#- Trimmed text. Integer-like ids (1-18 digits, optionally the '.0' pandas writes for float columns)
        lose their leading zeros, so '0012', '12' and '12.0' are one id (as before ids became text);
        anything else (C-1001, e-mail addresses, UUIDs) is kept as trimmed text, case and all, up to the
        max_id_length var. Null when empty or longer than that. -#}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{1,18}(\.0+)?')
            then cast(cast(split_part(trim({{ column }}), '.', 1) as bigint) as varchar)
        when length(trim({{ column }})) between 1 and {{ var('max_id_length') }}
            then trim({{ column }})
    end
{%- endmacro %}

{% macro id_key(canonical_column) -%}
    {#- The key of a canonical id, the same in every build and load: the integer itself for integer ids
        (non-negative), a negative number from the MD5 of the text otherwise, so the two kinds never
        collide (two text ids share a key with probability ~n^2 / 2^64). -#}
    case
        when regexp_full_match({{ canonical_column }}, '[0-9]{1,18}')
            then cast({{ canonical_column }} as bigint)
        else -1 - cast(md5_number_lower({{ canonical_column }}) >> 1 as bigint)
    end
{%- endmacro %}
