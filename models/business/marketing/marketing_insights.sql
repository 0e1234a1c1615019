{#- One row per marketing insight, in the shape of business_insights (which appends these rows): the share of
    revenue with no touch, the best and worst ROAS channel, the blended CAC trend, and one row per channel with
    acquisition cohorts whose LTV:CAC is below 1 (every such cohort listed). Thresholds and the attribution
    model come from seeds/marketing_rules.csv. No rows without marketing files. -#}

with rules as (

    select
        max(rule_value) filter (where rule_name = 'insight_attribution_model') as attribution_model,
        cast(max(rule_value) filter (where rule_name = 'insight_min_roas') as double) as min_roas,
        cast(max(rule_value) filter (where rule_name = 'insight_cac_trend_months') as integer) as cac_trend_months,
        cast(max(rule_value) filter (where rule_name = 'insight_cac_increase_warning') as double)
            as cac_increase_warning,
        cast(max(rule_value) filter (where rule_name = 'insight_untouched_revenue_warning') as double)
            as untouched_revenue_warning
    from {{ ref('marketing_rules') }}

),

daily as (

    select
        channel_performance.channel,
        channel_performance.spend,
        case rules.attribution_model
            {%- for model in attribution_models() %}
            when '{{ model }}' then channel_performance.attributed_revenue_{{ model }}
            {%- endfor %}
        end as attributed_revenue
    from {{ ref('channel_performance') }} as channel_performance
    cross join rules
    where channel_performance.time_grain = 'day'

),

channels as (

    select
        channel,
        sum(spend) as spend,
        sum(attributed_revenue) as attributed_revenue,
        {{ safe_ratio('sum(attributed_revenue)', 'sum(spend)') }} as roas
    from daily
    group by channel

),

paid_channels as (

    select
        channel,
        spend,
        attributed_revenue,
        roas,
        row_number() over (order by roas desc, channel) as best_rank,
        row_number() over (order by roas asc, channel) as worst_rank,
        count(*) over () as paid_channel_count
    from channels
    where spend > 0

),

untouched as (

    select
        sum(attributed_revenue) filter (where channel = {{ no_value_label() }}) as untouched_revenue,
        sum(attributed_revenue) as total_revenue
    from channels
    having count(*) > 0

),

analysis_month as (

    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month,
        last_day(as_of_date) = as_of_date as is_as_of_month_complete
    from {{ ref('int_analysis_date') }}

),

monthly_cac as (

    -- Blended CAC per complete month: all spend over all new customers (whatever their channel).
    select
        economics.acquisition_month,
        sum(economics.spend) as spend,
        sum(economics.new_customers) as new_customers,
        row_number() over (order by economics.acquisition_month desc) as months_back
    from {{ ref('channel_unit_economics') }} as economics
    cross join analysis_month
    where economics.acquisition_month < analysis_month.as_of_month
        or (economics.acquisition_month = analysis_month.as_of_month and analysis_month.is_as_of_month_complete)
    group by economics.acquisition_month

),

cac_trend as (

    select
        min(monthly_cac.acquisition_month) filter (where monthly_cac.months_back <= rules.cac_trend_months)
            as recent_from,
        max(monthly_cac.acquisition_month) filter (where monthly_cac.months_back <= rules.cac_trend_months)
            as recent_to,
        {{ safe_ratio(
            'sum(monthly_cac.spend) filter (where monthly_cac.months_back <= rules.cac_trend_months)',
            'sum(monthly_cac.new_customers) filter (where monthly_cac.months_back <= rules.cac_trend_months)'
        ) }} as recent_cac,
        {{ safe_ratio(
            'sum(monthly_cac.spend) filter (where monthly_cac.months_back > rules.cac_trend_months)',
            'sum(monthly_cac.new_customers) filter (where monthly_cac.months_back > rules.cac_trend_months)'
        ) }} as earlier_cac,
        any_value(rules.cac_trend_months) as cac_trend_months,
        any_value(rules.cac_increase_warning) as cac_increase_warning
    from monthly_cac
    cross join rules
    where monthly_cac.months_back <= 2 * rules.cac_trend_months
    having count(*) filter (where monthly_cac.months_back > rules.cac_trend_months) > 0

),

unprofitable_cohorts as (

    select
        acquisition_channel,
        count(*) as cohort_count,
        {{ ordered_text_agg(
            date_text('acquisition_month', '%Y-%m', 'yyyy-MM') ~ " || ' (' || " ~ format_text('{:.2f}', ['ltv_to_cac']) ~ " || ')'",
            ', ', 'acquisition_month'
        ) }} as cohort_list,
        min(ltv_to_cac) as lowest_ltv_to_cac,
        min_by(acquisition_month, ltv_to_cac) as lowest_month
    from {{ ref('channel_unit_economics') }}
    where ltv_to_cac < 1
    group by acquisition_channel

),

cohorts_with_ratio as (

    select
        acquisition_channel,
        count(*) as cohort_count
    from {{ ref('channel_unit_economics') }}
    where ltv_to_cac is not null
    group by acquisition_channel

),

insights as (

    select
        101 as display_order,
        'untouched_revenue_share' as insight_key,
        'Revenue without a marketing touch' as title,
        'untouched_revenue_share' as metric_name,
        {{ safe_ratio('coalesce(untouched.untouched_revenue, 0)', 'untouched.total_revenue') }} as metric_value,
        'share' as metric_unit,
        cast(coalesce(untouched.untouched_revenue, 0) as double) as secondary_value,
        case
            when coalesce(untouched.untouched_revenue, 0) / untouched.total_revenue > rules.untouched_revenue_warning
                then 'warning'
            else 'info'
        end as severity,
        {{ format_text('Revenue with no marketing touch: {:.1f}% (${:,.0f} of ${:,.0f}) had no touch in the {} days before the order', ["100 * coalesce(untouched.untouched_revenue, 0) / untouched.total_revenue", "coalesce(untouched.untouched_revenue, 0)", "untouched.total_revenue", (var('lookback_days') | string)]) }} as headline,
        case
            when coalesce(untouched.untouched_revenue, 0) / untouched.total_revenue > rules.untouched_revenue_warning
                then {{ text_literal("Most revenue has no recorded touch: check that every channel's touches are tracked before reading ROAS.") }}
            else 'Direct and untracked orders are credited to (none); the channels share the rest.'
        end as recommendation
    from untouched
    cross join rules
    where untouched.total_revenue > 0

    union all

    select
        102,
        'best_roas_channel',
        'Best ROAS channel',
        'roas',
        roas,
        'ratio',
        cast(spend as double),
        'info',
        {{ format_text('Best ROAS: {} returns ${:.2f} per $1 of ad spend (${:,.0f} attributed revenue on ${:,.0f} spend, {} attribution)', ["channel", "roas", "attributed_revenue", "spend", "rules.attribution_model"]) }},
        {{ format_text('Shift budget towards {} while its ROAS holds; watch it as spend grows.', ["channel"]) }}
    from paid_channels
    cross join rules
    where best_rank = 1

    union all

    select
        103,
        'worst_roas_channel',
        'Worst ROAS channel',
        'roas',
        roas,
        'ratio',
        cast(spend as double),
        case when roas < rules.min_roas then 'warning' else 'info' end,
        {{ format_text('Worst ROAS: {} returns ${:.2f} per $1 of ad spend (${:,.0f} attributed revenue on ${:,.0f} spend, {} attribution)', ["channel", "roas", "attributed_revenue", "spend", "rules.attribution_model"]) }},
        case
            when roas < rules.min_roas then {{ format_text('{} earns less attributed revenue than it costs: cut it back or rework its targeting.', ["channel"]) }}
            else {{ format_text('{} pays back (ROAS above {:.1f}), but least of the paid channels.', ["channel", "rules.min_roas"]) }}
        end
    from paid_channels
    cross join rules
    where worst_rank = 1
        and paid_channel_count > 1

    union all

    select
        104,
        'cac_trend',
        'Blended CAC trend',
        'cac_change',
        recent_cac / earlier_cac - 1,
        'share',
        recent_cac,
        case when recent_cac / earlier_cac - 1 > cac_increase_warning then 'warning' else 'info' end,
        {{ format_text('Blended CAC: ${:,.2f} in {}..{}, {} {:.1f}% on the {} months before (${:,.2f})', ["recent_cac", date_text('recent_from', '%Y-%m', 'yyyy-MM'), date_text('recent_to', '%Y-%m', 'yyyy-MM'), "case when recent_cac >= earlier_cac then 'up' else 'down' end", "100 * abs(recent_cac / earlier_cac - 1)", "cac_trend_months", "earlier_cac"]) }},
        case
            when recent_cac / earlier_cac - 1 > cac_increase_warning
                then {{ text_literal("New customers got dearer: check which channel's CAC rose in channel_unit_economics.") }}
            else 'No action needed on the acquisition cost trend.'
        end
    from cac_trend
    where recent_cac is not null
        and earlier_cac > 0

    union all

    select
        110 + row_number() over (order by unprofitable_cohorts.acquisition_channel),
        'ltv_to_cac_below_1_' || unprofitable_cohorts.acquisition_channel,
        'LTV:CAC below 1: ' || unprofitable_cohorts.acquisition_channel,
        'cohorts_below_1',
        cast(unprofitable_cohorts.cohort_count as double),
        'cohorts',
        unprofitable_cohorts.lowest_ltv_to_cac,
        'warning',
        {{ format_text('LTV:CAC below 1: {} in {:,} of {:,} acquisition cohorts (lowest {:.2f} in {})', ["unprofitable_cohorts.acquisition_channel", "unprofitable_cohorts.cohort_count", "cohorts_with_ratio.cohort_count", "unprofitable_cohorts.lowest_ltv_to_cac", date_text('unprofitable_cohorts.lowest_month', '%Y-%m', 'yyyy-MM')]) }},
        'Customers from these cohorts are worth less than they cost: ' || unprofitable_cohorts.cohort_list || '.'
    from unprofitable_cohorts
    inner join cohorts_with_ratio
        on unprofitable_cohorts.acquisition_channel = cohorts_with_ratio.acquisition_channel

)

select
    display_order,
    insight_key,
    title,
    metric_name,
    metric_value,
    metric_unit,
    secondary_value,
    severity,
    headline,
    recommendation
from insights
