{% macro days_to_weeks(expression) -%}
    {#- The BG/NBD time unit: weeks = days / 7, as in Fader, Hardie & Lee (2005) and salesdw.clv.tables. -#}
    (cast({{ expression }} as double) / 7)
{%- endmacro %}

{% macro normal_quantile_80() -%}
    {#- z of a two-sided 80% interval, Phi^-1(0.9): the per-customer intervals of customer_clv
        (salesdw.clv.fitting.Z80 computes the expected-purchase ones). -#}
    1.2815515655446004
{%- endmacro %}

{% macro sample_bucket(column) -%}
    {#- A deterministic pseudo-random bucket 0..999999 of a key of any type: the same customer is always in
        the same bucket (for a given engine version), so a sample "bucket < share x 1e6" is reproducible.
        Engine-specific hash, hence dispatched (Spark: xxhash64). -#}
    {{ return(adapter.dispatch('sample_bucket')(column)) }}
{%- endmacro %}

{% macro default__sample_bucket(column) -%}
    (hash({{ column }}) % 1000000)
{%- endmacro %}

{% macro spark__sample_bucket(column) -%}
    pmod(xxhash64({{ column }}), 1000000)
{%- endmacro %}
