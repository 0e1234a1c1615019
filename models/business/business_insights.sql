{#- One row per generated insight. Every number and every sentence is computed from the models above; the
    thresholds that set severity live in seeds/business_rules.csv. -#}

-- Read twice: scanned again rather than held in memory (inlined_cte).
with customers as {% call inlined_cte() %}

    select
        customer_key,
        frequency,
        monetary_total,
        historical_ltv_percentile,
        projected_12m_value
    from {{ ref('customer_ltv') }}

{% endcall %},

segments as (

    select
        customer_key,
        segment,
        ltv_percentile,
        projected_12m_value,
        churn_risk_score
    from {{ ref('customer_segments') }}

),

cohorts as (

    select
        cohort_month,
        months_since_first_order,
        cohort_size,
        retention_rate
    from {{ ref('cohort_retention') }}

),

months as (

    select
        month_start_date,
        year_month,
        is_complete_month,
        revenue,
        revenue_growth,
        -- revenue_growth is null both for the first month and after a month without revenue: tell them apart.
        lag(revenue) over (order by month_start_date) as previous_revenue
    from {{ ref('monthly_metrics') }}

),

targets as (

    select
        campaign_type,
        priority,
        estimated_campaign_value
    from {{ ref('campaign_targets') }}

),

campaigns as (

    select campaign_type
    from {{ ref('campaigns') }}

),

clv_backtest as (

    select
        model_name,
        backtest_status,
        message,
        holdout_weeks,
        actual_purchases,
        expected_purchases,
        error_pct,
        mae,
        naive_mae,
        model_beats_naive
    from {{ ref('clv_backtest') }}
    where is_total
        and is_selected_model

),

clv_fit as (

    select
        any_value(model_comparison) as model_comparison,
        any_value(better_fitting_model) as better_fitting_model
    from {{ ref('clv_model_fit') }}

),

rules as (

    select
        high_value_top_share,
        insight_min_cohort_size,
        insight_one_time_share_warning,
        insight_concentration_warning,
        insight_revenue_decline_warning
    from {{ ref('int_business_rules') }}

),

high_value_at_risk as (

    select
        count(*) as customer_count,
        -- Expected loss if nothing is done: projected 12-month value times the churn risk, in cents per
        -- customer, so the sum is exact and does not depend on row order.
        coalesce(
            sum({{ money('segments.projected_12m_value * segments.churn_risk_score / 100.0::double') }}), 0
        ) as value_at_stake
    from segments
    cross join rules
    where segments.segment = 'At Risk'
        and segments.ltv_percentile >= 1 - rules.high_value_top_share

),

one_time_buyers as (

    select
        count(*) filter (where frequency = 1) / count(*) as one_time_share,
        count(*) filter (where frequency = 1) as one_time_count,
        count(*) as customer_count
    from customers

),

concentration as (

    -- Ranked by revenue to date whatever the LTV basis: this is about where today's revenue comes from.
    select
        cast(coalesce(sum(monetary_total) filter (where historical_ltv_percentile >= 1 - rules.high_value_top_share), 0) as double)
        / sum(monetary_total) as top_revenue_share
    from customers
    cross join rules
    group by rules.high_value_top_share

),

month_one_retention as (

    -- Month-1 retention of cohorts whose month 1 is over and that are large enough to compare.
    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        cohorts.retention_rate
    from cohorts
    cross join rules
    inner join months
        on cast({{ dbt.dateadd('month', '1', 'cohorts.cohort_month') }} as date) = months.month_start_date
    where cohorts.months_since_first_order = 1
        and months.is_complete_month
        and cohorts.cohort_size >= rules.insight_min_cohort_size

),

best_cohort as (

    select
        cohort_month,
        cohort_size,
        retention_rate
    from month_one_retention
    order by retention_rate desc, cohort_month
    limit 1

),

worst_cohort as (

    select
        cohort_month,
        cohort_size,
        retention_rate
    from month_one_retention
    order by retention_rate asc, cohort_month
    limit 1

),

latest_month as (

    select
        year_month,
        revenue,
        revenue_growth,
        previous_revenue
    from months
    where is_complete_month
    order by month_start_date desc
    limit 1

),

campaign_totals as (

    select
        campaigns.campaign_type,
        count(targets.campaign_type) as target_count,
        count(targets.campaign_type) filter (where targets.priority = 'High') as high_priority_count,
        coalesce(sum(targets.estimated_campaign_value), 0) as estimated_value
    from campaigns
    left join targets
        on campaigns.campaign_type = targets.campaign_type
    group by campaigns.campaign_type

),

insights as (

    select
        1 as display_order,
        'high_value_at_risk' as insight_key,
        'High-value customers at risk' as title,
        'customers' as metric_name,
        customer_count::double as metric_value,
        'customers' as metric_unit,
        value_at_stake::double as secondary_value,
        case when customer_count > 0 then 'critical' else 'info' end as severity,
        {{ format_text('High-value customers at risk: {:,} customers, ${:,.0f} at stake', ["customer_count", "value_at_stake"]) }} as headline,
        case
            when customer_count > 0 then {{ format_text("Contact these {:,} top-LTV customers first (Retention campaign, High priority): ${:,.0f} of next year's revenue is expected to go with them if nothing is done.", ["customer_count", "value_at_stake"]) }}
            else 'No top-LTV customer is at risk today; keep monitoring recency.'
        end as recommendation
    from high_value_at_risk

    union all

    select
        2,
        'one_time_buyer_share',
        'One-time buyers',
        'one_time_share',
        one_time_share,
        'share',
        one_time_count::double,
        case when one_time_share > rules.insight_one_time_share_warning then 'warning' else 'info' end,
        {{ format_text('One-time buyers: {:.1f}% of customers ({:,} of {:,}) ordered only once', ["100 * one_time_share", "one_time_count", "customer_count"]) }},
        case
            when one_time_share > rules.insight_one_time_share_warning then {{ format_text('Above the {:.0f}% warning level: a second-purchase offer to New customers is the biggest lever.', ["100 * rules.insight_one_time_share_warning"]) }}
            else 'Repeat purchasing is healthy; keep the onboarding journey.'
        end
    from one_time_buyers
    cross join rules

    union all

    select
        3,
        'best_cohort_retention',
        'Best cohort by month-1 retention',
        'retention_rate',
        retention_rate,
        'share',
        cohort_size::double,
        'info',
        {{ format_text('Best cohort: {} with {:.1f}% of {:,} customers back in their second month', [date_text('cohort_month', '%Y-%m', 'yyyy-MM'), "100 * retention_rate", "cohort_size"]) }},
        {{ format_text('Study what {} customers were offered and repeat it.', [date_text('cohort_month', '%Y-%m', 'yyyy-MM')]) }}
    from best_cohort

    union all

    select
        4,
        'worst_cohort_retention',
        'Worst cohort by month-1 retention',
        'retention_rate',
        retention_rate,
        'share',
        cohort_size::double,
        'warning',
        {{ format_text('Worst cohort: {} with {:.1f}% of {:,} customers back in their second month', [date_text('cohort_month', '%Y-%m', 'yyyy-MM'), "100 * retention_rate", "cohort_size"]) }},
        {{ format_text('Check the acquisition channels and first-order experience of {}.', [date_text('cohort_month', '%Y-%m', 'yyyy-MM')]) }}
    from worst_cohort

    union all

    select
        5,
        'latest_month_revenue_trend',
        'Latest month revenue trend',
        'revenue_growth',
        revenue_growth,
        'share',
        revenue::double,
        -- A complete month without a single order is a warning whatever the month before was.
        case
            when revenue = 0 or revenue_growth < rules.insight_revenue_decline_warning then 'warning'
            else 'info'
        end,
        case
            when previous_revenue is null
                then {{ format_text('Revenue in {}: ${:,.0f} (no earlier month)', ["year_month", "revenue"]) }}
            when previous_revenue = 0
                then {{ format_text('Revenue in {}: ${:,.0f}, none in the month before', ["year_month", "revenue"]) }}
            else {{ format_text('Revenue in {}: ${:,.0f}, {} {:.1f}% on the month before', ["year_month", "revenue", "case when revenue_growth >= 0 then 'up' else 'down' end", "100 * abs(revenue_growth)"]) }}
        end,
        case
            when revenue = 0
                then 'No orders in the whole month: check that the input is complete (an analysis date after '
                || 'the last delivered order reads as months without orders).'
            when revenue_growth < rules.insight_revenue_decline_warning
                then 'Revenue fell faster than the warning level: check whether new or returning customers drove it.'
            else 'No action needed on the monthly trend.'
        end
    from latest_month
    cross join rules

    union all

    select
        6,
        'revenue_concentration',
        'Revenue concentration',
        'top_revenue_share',
        top_revenue_share,
        'share',
        rules.high_value_top_share,
        case when top_revenue_share > rules.insight_concentration_warning then 'warning' else 'info' end,
        {{ format_text('Revenue concentration: the top {:.0f}% of customers bring {:.1f}% of revenue', ["100 * rules.high_value_top_share", "100 * top_revenue_share"]) }},
        case
            when top_revenue_share > rules.insight_concentration_warning
                then 'Revenue depends on few customers: protect them with the Loyalty campaign.'
            else 'Revenue is spread widely; broad campaigns pay.'
        end
    from concentration
    cross join rules

    union all

    select
        7 + row_number() over (order by estimated_value desc, campaign_type),
        'campaign_opportunity_' || lower(replace(campaign_type, '-', '_')),
        'Campaign opportunity: ' || campaign_type,
        'estimated_campaign_value',
        estimated_value::double,
        'currency',
        target_count::double,
        'info',
        {{ format_text('{} campaign: {:,} customers ({:,} high priority), ${:,.0f} estimated value', ["campaign_type", "target_count", "high_priority_count", "estimated_value"]) }},
        case
            when target_count = 0 then {{ format_text('No customer qualifies for {} today.', ["campaign_type"]) }}
            else {{ format_text('Export the {} list (run_pipeline.py export campaign_targets) and start with High priority.', ["campaign_type"]) }}
        end
    from campaign_totals

    union all

    -- The build's backtest of its purchase model (clv_backtest); a warning when it loses to the naive
    -- baseline (the past purchase rate carried forward). After every other insight.
    select
        100,
        'clv_backtest',
        'CLV model backtest',
        'mean_absolute_error',
        clv_backtest.mae,
        'purchases',
        clv_backtest.naive_mae,
        case when clv_backtest.model_beats_naive = false then 'warning' else 'info' end,
        case
            when clv_backtest.backtest_status = 'skipped' then 'CLV backtest not run: ' || clv_backtest.message
            when clv_backtest.backtest_status <> 'complete'
                then 'CLV backtest: the ' || clv_backtest.model_name || ' calibration fit is not usable'
            when clv_backtest.model_beats_naive then {{ format_text('CLV backtest: {} predicted {:,.0f} purchases in the last {:.0f} weeks, {:,.0f} happened ({:+.1f}%); per-customer error {:.3f} vs {:.3f} for the past purchase rate', ["clv_backtest.model_name", "clv_backtest.expected_purchases", "clv_backtest.holdout_weeks", "clv_backtest.actual_purchases", "clv_backtest.error_pct", "clv_backtest.mae", "clv_backtest.naive_mae"]) }}
            else {{ format_text('CLV backtest: {} lost to the past purchase rate (per-customer error {:.3f} vs {:.3f}; {:,.0f} purchases predicted in the last {:.0f} weeks, {:,.0f} happened)', ["clv_backtest.model_name", "clv_backtest.mae", "clv_backtest.naive_mae", "clv_backtest.expected_purchases", "clv_backtest.holdout_weeks", "clv_backtest.actual_purchases"]) }}
        end,
        case
            when clv_backtest.backtest_status <> 'complete' then clv_backtest.message
            when clv_backtest.model_beats_naive
                then 'Predicted CLV and P(alive) beat the naive view on this data'
                || coalesce('; ' || clv_fit.model_comparison, '') || '.'
            else {{ text_literal("Treat predicted CLV and P(alive) with caution on this data: a customer's past purchase rate ") }}
                || 'predicted the holdout better (seasonality or a changing customer base?)'
                || coalesce('; ' || clv_fit.model_comparison, '') || '.'
        end
    from clv_backtest
    cross join clv_fit

    union all

    -- The marketing insights (models/business/marketing; no rows without marketing files).
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
    from {{ ref('marketing_insights') }}

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
