{#- One row per targeted customer and campaign: every column of campaign_targets but its reason text, which
    campaign_targets (a view over this table) builds where it is read. Written at every build (a customer's
    segment and figures move with the analysis date), and the text, one ~100-character string per target,
    was most of what this table cost to build and write (DECISIONS.md, "The daily build"). Who is eligible
    comes from seeds/campaigns.csv; the priority thresholds from seeds/business_rules.csv. -#}

with segments as (

    select
        customer_key,
        customer_id,
        segment,
        recency_days,
        frequency,
        monetary_total,
        churn_risk_score,
        ltv_percentile,
        projected_12m_value,
        last_order_date,
        expected_days_between_orders,
        p_alive,
        predicted_clv
    from {{ ref('customer_segments') }}

),

campaigns as (

    select
        campaign_type,
        target_segment,
        min_value_percentile,
        min_orders,
        max_churn_risk_score,
        expected_response_rate
    from {{ ref('campaigns') }}

),

acquisition as (

    -- Null for everybody when the build has no marketing files (customer_acquisition is empty).
    select
        customer_key,
        acquisition_channel,
        last_touch_channel
    from {{ ref('customer_acquisition') }}

),

rules as (

    select
        priority_high_min_value_percentile,
        priority_high_min_churn_risk_score,
        priority_medium_min_value_percentile,
        priority_medium_min_churn_risk_score
    from {{ ref('int_business_rules') }}

),

eligible as (

    select
        campaigns.campaign_type,
        campaigns.expected_response_rate,
        segments.customer_key,
        segments.customer_id,
        segments.segment,
        segments.recency_days,
        segments.frequency,
        segments.monetary_total,
        segments.churn_risk_score,
        segments.ltv_percentile,
        segments.projected_12m_value,
        segments.last_order_date,
        segments.expected_days_between_orders,
        segments.p_alive,
        segments.predicted_clv
    from segments
    inner join campaigns
        on segments.segment = campaigns.target_segment
        and segments.ltv_percentile >= campaigns.min_value_percentile
        and segments.frequency >= campaigns.min_orders
        and segments.churn_risk_score <= campaigns.max_churn_risk_score

),

prioritised as (

    select
        eligible.*,
        case
            when eligible.ltv_percentile >= rules.priority_high_min_value_percentile
                or (
                    eligible.churn_risk_score >= rules.priority_high_min_churn_risk_score
                    and eligible.ltv_percentile >= rules.priority_medium_min_value_percentile
                )
                then 'High'
            when eligible.ltv_percentile >= rules.priority_medium_min_value_percentile
                or eligible.churn_risk_score >= rules.priority_medium_min_churn_risk_score
                then 'Medium'
            else 'Low'
        end as priority
    from eligible
    cross join rules

),

with_channels as (

    select
        prioritised.*,
        acquisition.acquisition_channel,
        acquisition.last_touch_channel
    from prioritised
    left join acquisition
        on prioritised.customer_key = acquisition.customer_key

)

select
    campaign_type,
    customer_key,
    -- The text of non-integer ids only (macros/ids.sql), as in int_customer_ltv: campaign_targets gives the
    -- integer ids back (id_from_key); writing 5.4M id texts at 10M orders cost more than the other columns.
    {{ id_text_beside_key('customer_id', 'customer_key') }} as customer_id,
    segment,
    priority,
    case priority when 'High' then 1 when 'Medium' then 2 else 3 end as priority_rank,
    -- What a responding customer is expected to bring over the next 12 months.
    {{ money('expected_response_rate * projected_12m_value') }} as estimated_campaign_value,
    expected_response_rate,
    projected_12m_value,
    churn_risk_score,
    frequency as order_count,
    monetary_total as lifetime_revenue,
    last_order_date,
    recency_days,
    p_alive,
    predicted_clv,
    acquisition_channel,
    last_touch_channel,
    -- What the reason text needs beyond the columns above, unrounded (campaign_targets rounds ltv_percentile
    -- to 4 decimals; the text's percentile is floored from the exact value).
    expected_days_between_orders,
    ltv_percentile as ltv_percentile_unrounded
from with_channels
