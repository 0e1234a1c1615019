{#- One row per channel with touches: the people reached by marketing (everyone with at least one touch,
    customers and prospects alike) split into those exposed to the channel (at least one touch in it) and
    those not, with each group's conversion rate (share who ordered) and revenue per person (lifetime
    revenue, 0 for prospects), the difference exposed - not exposed and its 95% interval (normal
    approximation: unpooled standard errors for the rates, Welch's for the means). Observational: the
    interpretation column says so in words.

    Each person reached is one row with the channels that reached them as the bits of an integer (one bit
    per channel, up to 63 of them), so the people are grouped by that set of channels (a few hundred sets)
    and a channel's exposed group is the sum of the sets that hold its bit. At 10M orders / 20M touches this
    replaces the 16M distinct person x channel pairs, their join to dim_customer and a second grouping by
    person. Channels past the 63rd (unusual) are counted from their pairs as before. Sums of revenue are exact
    (decimal) per set and converted to double once. -#}

{#- A group of people (left-joined to `customers`): its size, who ordered, and the sums of revenue for the mean
    and the variance (0 for a prospect). -#}
{%- set group_outcomes -%}
count(*) as people,
        count(customers.customer_key) as conversions,
        sum(coalesce(customers.lifetime_revenue, 0)) as revenue,
        sum(coalesce(customers.lifetime_revenue, 0) * coalesce(customers.lifetime_revenue, 0)) as revenue_squared
{%- endset %}

with touches as (

    select
        customer_key,
        channel
    from {{ ref('fact_touchpoints') }}

),

channels as (

    -- Every channel with touches, numbered; numbers 0-62 are bits of a BIGINT. From the touch kinds (every
    -- distinct channel, campaign, event type and ad of fact_touchpoints; kind 0 is the '(none)' of orders
    -- without a touch), a few hundred rows instead of ~20M touches at 10M orders.
    select
        channel,
        row_number() over (order by channel) - 1 as channel_number
    from (
        select distinct channel
        from {{ ref('int_touch_kinds') }}
        where touch_kind > 0
    ) as distinct_channels

),

channel_bits as (

    select
        channel,
        channel_number,
        case when channel_number < 63 then cast(power(2, channel_number) as bigint) end as channel_bit
    from channels

),

customers as (

    select
        customer_key,
        lifetime_revenue
    from {{ ref('dim_customer') }}

),

people as (

    -- One row per person reached (at least one touch): the set of channels (of the first 63) that did.
    select
        touches.customer_key,
        bit_or(coalesce(channel_bits.channel_bit, 0)) as reached_by
    from touches
    inner join channel_bits
        on touches.channel = channel_bits.channel
    group by touches.customer_key

),

channel_sets as (

    -- People by the set of channels that reached them, with whether they ordered and what they spent (0 for a
    -- prospect).
    select
        people.reached_by,
        {{ group_outcomes }}
    from people
    left join customers
        on people.customer_key = customers.customer_key
    group by people.reached_by

),

exposed_by_bit as (

    select
        channel_bits.channel,
        cast(sum(channel_sets.people) as bigint) as people,
        cast(sum(channel_sets.conversions) as bigint) as conversions,
        sum(channel_sets.revenue) as revenue,
        sum(channel_sets.revenue_squared) as revenue_squared
    from channel_bits
    inner join channel_sets
        on (channel_sets.reached_by & channel_bits.channel_bit) <> 0
    group by channel_bits.channel

),

exposed_beyond_bits as (

    -- Channels without a bit (past the 63rd): from their distinct person x channel pairs. Read from the view
    -- itself, not the touches CTE: a CTE read twice would be materialized.
    select
        exposures.channel,
        {{ group_outcomes }}
    from (
        select distinct
            beyond_touches.customer_key,
            beyond_touches.channel
        from {{ ref('fact_touchpoints') }} as beyond_touches
        inner join channel_bits
            on beyond_touches.channel = channel_bits.channel
        where channel_bits.channel_bit is null
    ) as exposures
    left join customers
        on exposures.customer_key = customers.customer_key
    group by exposures.channel

),

exposed as (

    select
        channel,
        people,
        conversions,
        cast(revenue as double) as revenue,
        cast(revenue_squared as double) as revenue_squared
    from (
        select * from exposed_by_bit
        union all
        select * from exposed_beyond_bits
    ) as exposed_sums

),

totals as (

    -- Everyone reached, once.
    select
        cast(sum(people) as bigint) as people,
        cast(sum(conversions) as bigint) as conversions,
        cast(sum(revenue) as double) as revenue,
        cast(sum(revenue_squared) as double) as revenue_squared
    from channel_sets

),

groups as (

    -- Not exposed = everyone reached minus the exposed (counts subtract exactly, revenue sums in doubles).
    select
        exposed.channel,
        exposed.people as exposed_people,
        exposed.conversions as exposed_conversions,
        exposed.revenue as exposed_revenue,
        exposed.revenue_squared as exposed_revenue_squared,
        totals.people - exposed.people as unexposed_people,
        totals.conversions - exposed.conversions as unexposed_conversions,
        totals.revenue - exposed.revenue as unexposed_revenue,
        totals.revenue_squared - exposed.revenue_squared as unexposed_revenue_squared
    from exposed
    cross join totals

),

rates as (

    select
        *,
        {{ safe_ratio('exposed_conversions', 'exposed_people') }} as conversion_rate_exposed,
        {{ safe_ratio('unexposed_conversions', 'unexposed_people') }} as conversion_rate_not_exposed,
        {{ safe_ratio('exposed_revenue', 'exposed_people') }} as revenue_per_person_exposed,
        {{ safe_ratio('unexposed_revenue', 'unexposed_people') }} as revenue_per_person_not_exposed,
        -- Sample variances of revenue per person (n - 1); null for a group of fewer than two.
        {{ safe_ratio('exposed_revenue_squared - exposed_revenue * exposed_revenue / exposed_people', 'exposed_people - 1') }}
            as revenue_variance_exposed,
        {{ safe_ratio('unexposed_revenue_squared - unexposed_revenue * unexposed_revenue / nullif(unexposed_people, 0)', 'unexposed_people - 1') }}
            as revenue_variance_not_exposed
    from groups

),

differences as (

    select
        *,
        conversion_rate_exposed - conversion_rate_not_exposed as conversion_rate_difference,
        sqrt(
            conversion_rate_exposed * (1 - conversion_rate_exposed) / exposed_people
            + conversion_rate_not_exposed * (1 - conversion_rate_not_exposed) / nullif(unexposed_people, 0)
        ) as conversion_rate_standard_error,
        revenue_per_person_exposed - revenue_per_person_not_exposed as revenue_per_person_difference,
        -- A group of one has no sample variance: no interval. (greatest() guards against a variance a
        -- rounding error made slightly negative; it would turn a null into 0, hence the explicit case.)
        sqrt(
            case when revenue_variance_exposed is not null then greatest(revenue_variance_exposed, 0) end
            / exposed_people
            + case when revenue_variance_not_exposed is not null then greatest(revenue_variance_not_exposed, 0) end
            / nullif(unexposed_people, 0)
        ) as revenue_standard_error
    from rates

)

select
    channel,
    exposed_people,
    unexposed_people,
    {{ round_double('conversion_rate_exposed', 6) }} as conversion_rate_exposed,
    {{ round_double('conversion_rate_not_exposed', 6) }} as conversion_rate_not_exposed,
    {{ round_double('conversion_rate_difference', 6) }} as conversion_rate_difference,
    {{ round_double('conversion_rate_difference - 1.96 * conversion_rate_standard_error', 6) }}
        as conversion_rate_difference_low,
    {{ round_double('conversion_rate_difference + 1.96 * conversion_rate_standard_error', 6) }}
        as conversion_rate_difference_high,
    {{ money('revenue_per_person_exposed') }} as revenue_per_person_exposed,
    {{ money('revenue_per_person_not_exposed') }} as revenue_per_person_not_exposed,
    {{ money('revenue_per_person_difference') }} as revenue_per_person_difference,
    {{ money('revenue_per_person_difference - 1.96 * revenue_standard_error') }} as revenue_per_person_difference_low,
    {{ money('revenue_per_person_difference + 1.96 * revenue_standard_error') }} as revenue_per_person_difference_high,
    'Observational, not causal: people exposed to ' || channel || ' converted at '
    || coalesce({{ format_text('{:.1f}%', ["100 * conversion_rate_exposed"]) }}, 'n/a') || ' against '
    || coalesce({{ format_text('{:.1f}%', ["100 * conversion_rate_not_exposed"]) }}, 'n/a')
    || ' for people reached by other channels only. Channels pick whom they reach (retargeting and e-mail '
    || 'reach people who already bought), so the difference is an association, not the effect of '
    || channel || '; only a holdout test measures what it adds.' as interpretation
from differences
