{#- Multi-touch attribution (models/business/marketing). An order's touches are ordered (touch_position
    1..touch_count); each model gives every touch a share of the order; credits in cents come from rounding the
    running total: cents through touch p = floor(amount_cents x S(p) + 1/2), where S(p) is the model's share of
    touches 1..p, and a touch's credit = cents through p - cents through p - 1. The credits of an order add up
    to its amount exactly (the sum telescopes to floor(amount_cents x 1 + 1/2)), every credit is within a cent
    of its exact share, and no second sort is needed (DECISIONS.md). -#}

{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based']) }}
{%- endmacro %}

{% macro attribution_decay_scale_bits() -%}
    {#- Time-decay weights are integers round(2^(bits - days / half_life_days)): exact sums whatever order the
        engine adds them in, and at least 1 while lookback_days / half_life_days <= bits (checked below). -#}
    {{ return(40) }}
{%- endmacro %}

{% macro check_attribution_vars() -%}
    {%- set lookback = var('lookback_days') | int -%}
    {%- set half_life = var('half_life_days') | float -%}
    {%- if lookback < 0 or half_life <= 0 or lookback / half_life > attribution_decay_scale_bits() -%}
        {{ exceptions.raise_compiler_error(
            "lookback_days must be >= 0 and half_life_days > 0 with lookback_days / half_life_days <= "
            ~ attribution_decay_scale_bits() ~ "; got lookback_days=" ~ var('lookback_days')
            ~ ", half_life_days=" ~ var('half_life_days')
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro attribution_decay_weight(days_column) -%}
    {#- The exponent in doubles on every engine (Spark would divide an integer by 7.0 as a decimal). -#}
    cast(round(pow(
        2.0, {{ attribution_decay_scale_bits() }} - cast({{ days_column }} as double) / {{ var('half_life_days') | float }}
    )) as bigint)
{%- endmacro %}

{% macro integer_division(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_division')(numerator, denominator)) }}
{%- endmacro %}

{% macro spark__integer_division(numerator, denominator) -%}
    (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}

{% macro default__integer_division(numerator, denominator) -%}
    {#- Integer division of non-negative integers (rounds down). -#}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{% macro attribution_share_fraction(model, position, relation='') -%}
    {#- (numerator, denominator) of S(position): the model's share of touches 1..position, with touch_count,
        decay_running, decay_weight, decay_total from `relation`. position is touch_position or
        touch_position - 1. Rational models are exact integer fractions; time_decay is the running sum of the
        integer weights over their total. -#}
    {%- set p = position -%}
    {%- set n = relation ~ 'touch_count' -%}
    {%- if model == 'first_touch' -%}
        {{ return(['case when ' ~ p ~ ' >= 1 then 1 else 0 end', '1']) }}
    {%- elif model == 'last_touch' -%}
        {{ return(['case when ' ~ p ~ ' >= ' ~ n ~ ' then 1 else 0 end', '1']) }}
    {%- elif model == 'linear' -%}
        {{ return([p, n]) }}
    {%- elif model == 'position_based' -%}
        {#- 40% first, 40% last, 20% shared by the middle; one touch 100%, two 50/50. With n >= 3 touches,
            S(p) = (2 (n - 2) + p - 1) / (5 (n - 2)) for 1 <= p <= n - 1 (0.4 at p = 1, 0.6 at p = n - 1). -#}
        {%- set denominator = 'case ' ~ n ~ ' when 1 then 1 when 2 then 2 else 5 * (' ~ n ~ ' - 2) end' -%}
        {%- set numerator = 'case when ' ~ p ~ ' <= 0 then 0 when ' ~ p ~ ' >= ' ~ n ~ ' then ' ~ denominator
            ~ ' when ' ~ n ~ ' = 2 then ' ~ p ~ ' else 2 * (' ~ n ~ ' - 2) + ' ~ p ~ ' - 1 end' -%}
        {{ return([numerator, denominator]) }}
    {%- elif model == 'time_decay' -%}
        {%- set running = relation ~ 'decay_running' -%}
        {%- set numerator = running if p == relation ~ 'touch_position'
            else '(' ~ running ~ ' - ' ~ relation ~ 'decay_weight)' -%}
        {{ return([numerator, relation ~ 'decay_total']) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown attribution model " ~ model) }}
    {%- endif -%}
{%- endmacro %}

{% macro attribution_cents_through(model, position, amount_cents, relation='') -%}
    {#- floor(amount_cents x S(position) + 1/2): exact integer arithmetic for the rational models; for
        time_decay the same formula in double precision on exact integer inputs (the previous touch's value is
        computed from the very same integers, so the running total still telescopes exactly). -#}
    {%- set fraction = attribution_share_fraction(model, position, relation) -%}
    {%- if model == 'time_decay' -%}
        cast(floor(
            cast({{ amount_cents }} as double) * cast({{ fraction[0] }} as double)
            / cast({{ fraction[1] }} as double) + 0.5
        ) as bigint)
    {%- else -%}
        {{ integer_division(
            '2 * cast(' ~ amount_cents ~ ' as bigint) * (' ~ fraction[0] ~ ') + (' ~ fraction[1] ~ ')',
            '2 * (' ~ fraction[1] ~ ')'
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro attribution_credit_cents(model, amount_cents, relation='') -%}
    {#- A touch's credit under `model`, in cents (relation: a prefix such as 'paths.' for the columns). -#}
    ({{ attribution_cents_through(model, relation ~ 'touch_position', amount_cents, relation) }}
    - {{ attribution_cents_through(model, relation ~ 'touch_position - 1', amount_cents, relation) }})
{%- endmacro %}

{% macro attribution_credit_share(model, relation='') -%}
    {#- A touch's exact share of its order under `model`: S(p) - S(p - 1). -#}
    {%- set through = attribution_share_fraction(model, relation ~ 'touch_position', relation) -%}
    {%- set before = attribution_share_fraction(model, relation ~ 'touch_position - 1', relation) -%}
    (cast({{ through[0] }} as double) / cast({{ through[1] }} as double)
    - cast({{ before[0] }} as double) / cast({{ before[1] }} as double))
{%- endmacro %}

{% macro amount_cents(amount) -%}
    cast(round({{ amount }} * 100) as bigint)
{%- endmacro %}

{% macro touch_kind_fields() -%}
    {#- The fields that make a touch's kind (int_touch_kinds), read from fact_touchpoints: channel, campaign
        (never null there: '(none)'), event type and ad id ('' when missing, so kinds compare with =). -#}
    channel,
        campaign_id,
        event_type,
        coalesce(ad_id, '') as ad_id
{%- endmacro %}
