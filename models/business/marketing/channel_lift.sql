{#- One row per channel with touches: the people reached by marketing (everyone with at least one touch,
    customers and prospects alike) split into those exposed to the channel (at least one touch in it) and
    those not, with each group's conversion rate (share who ordered) and revenue per person (lifetime
    revenue, 0 for prospects), the difference exposed - not exposed and its 95% interval (normal
    approximation: unpooled standard errors for the rates, Welch's for the means). Observational: the
    interpretation column says so in words. -#}

with exposures as (

    -- One row per person reached (at least one touch) and channel that reached them.
    select distinct
        customer_key,
        channel
    from {{ ref('fact_touchpoints') }}

),

customers as (

    select
        customer_key,
        lifetime_revenue
    from {{ ref('dim_customer') }}

),

exposure_values as (

    -- Each exposure with whether the person ordered and what they spent (0 for a prospect).
    select
        exposures.customer_key,
        exposures.channel,
        case when customers.customer_key is not null then 1 else 0 end as converted,
        cast(coalesce(customers.lifetime_revenue, 0) as double) as revenue
    from exposures
    left join customers
        on exposures.customer_key = customers.customer_key

),

exposed as (

    select
        channel,
        count(*) as people,
        sum(converted) as conversions,
        sum(revenue) as revenue,
        sum(revenue * revenue) as revenue_squared
    from exposure_values
    group by channel

),

people as (

    -- Everyone reached, once.
    select
        customer_key,
        any_value(converted) as converted,
        any_value(revenue) as revenue
    from exposure_values
    group by customer_key

),

totals as (

    select
        count(*) as people,
        sum(converted) as conversions,
        sum(revenue) as revenue,
        sum(revenue * revenue) as revenue_squared
    from people

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
