{{ config(materialized='view') }}

{#- A view (measured, see DECISIONS.md "The daily build"): every customer's segment depends on the analysis
    date, so a table would be rewritten in full by every daily build, and the columns are customer_ltv's
    plus a few CASE expressions over one-row rule tables, cheap to compute where they are read
    (campaign_targets, business_insights, the notebook); a reader that does not select segment_reason
    never builds its text.

    Exactly one segment per customer. Each rule is a flag; the segment is the matching rule that comes
    first in seeds/customer_segments_catalog.csv (evaluation_order), so reordering the seed reorders the
    rules. Regular matches everyone, so every customer gets a segment. -#}

with customers as (

    select
        customer_key,
        customer_id,
        recency_days,
        tenure_days,
        frequency,
        monetary_total,
        churn_risk_score,
        p_alive,
        ltv_percentile,
        projected_12m_value,
        last_order_date,
        expected_days_between_orders,
        predicted_clv
    from {{ ref('customer_ltv') }}

),

rules as (

    select
        new_max_days_since_first_order,
        lost_min_days_since_last_order,
        high_value_top_share,
        high_value_max_days_since_last_order,
        at_risk_min_days_since_last_order,
        at_risk_min_churn_risk_score,
        at_risk_max_p_alive,
        -- The rule part of the At Risk reason, formatted once instead of once per customer.
        {{ format_text('(At Risk from {} days, score {} or P(alive) below {:.2f})', ["at_risk_min_days_since_last_order", "at_risk_min_churn_risk_score", "at_risk_max_p_alive"]) }} as at_risk_rule_text
    from {{ ref('int_business_rules') }}

),

catalog as (

    select
        max(evaluation_order) filter (where segment = 'Lost') as lost_order,
        max(evaluation_order) filter (where segment = 'New') as new_order,
        max(evaluation_order) filter (where segment = 'High Value') as high_value_order,
        max(evaluation_order) filter (where segment = 'At Risk') as at_risk_order,
        max(evaluation_order) filter (where segment = 'Regular') as regular_order
    from {{ ref('customer_segments_catalog') }}

),

flagged as (

    select
        customers.*,
        rules.*,
        customers.recency_days >= rules.lost_min_days_since_last_order as is_lost,
        customers.tenure_days <= rules.new_max_days_since_first_order as is_new,
        customers.ltv_percentile >= 1 - rules.high_value_top_share
        and customers.recency_days <= rules.high_value_max_days_since_last_order as is_high_value,
        customers.recency_days >= rules.at_risk_min_days_since_last_order
        or customers.churn_risk_score >= rules.at_risk_min_churn_risk_score
        -- Model-based view: null (no converged BG/NBD fit) never matches.
        or coalesce(customers.p_alive < rules.at_risk_max_p_alive, false) as is_at_risk
    from customers
    cross join rules

),

first_matching_rule as (

    select
        flagged.*,
        least(
            case when is_lost then catalog.lost_order end,
            case when is_new then catalog.new_order end,
            case when is_high_value then catalog.high_value_order end,
            case when is_at_risk then catalog.at_risk_order end,
            catalog.regular_order
        ) as segment_order,
        catalog.lost_order,
        catalog.new_order,
        catalog.high_value_order,
        catalog.at_risk_order
    from flagged
    cross join catalog

),

segmented as (

    select
        *,
        case segment_order
            when lost_order then 'Lost'
            when new_order then 'New'
            when high_value_order then 'High Value'
            when at_risk_order then 'At Risk'
            else 'Regular'
        end as segment
    from first_matching_rule

)

select
    customer_key,
    customer_id,
    segment,
    segment_order,
    -- Concatenation instead of format() where a value is an integer (its text is the same): a format()
    -- call per customer was most of this model's time at 10M orders.
    case segment
        when 'Lost' then 'no order for ' || recency_days::string || ' days (Lost from '
            || lost_min_days_since_last_order::string || ')'
        when 'New' then 'first order ' || tenure_days::string || ' days ago (New up to '
            || new_max_days_since_first_order::string || ')'
        when 'High Value' then {{ ltv_percentile_label('ltv_percentile') }} || ' and last order '
            || recency_days::string || ' days ago (within ' || high_value_max_days_since_last_order::string || ')'
        when 'At Risk' then 'no order for ' || recency_days::string || ' days (usual gap '
            || {{ whole_number_text('expected_days_between_orders') }} || '), churn risk '
            || churn_risk_score::string || '/100 and P(alive) '
            || coalesce(cast(round(p_alive, 2) as decimal(3, 2))::string, 'n/a') || ' ' || at_risk_rule_text
        else 'no earlier rule matched'
    end as segment_reason,
    is_lost,
    is_new,
    is_high_value,
    is_at_risk,
    recency_days,
    tenure_days,
    frequency,
    monetary_total,
    churn_risk_score,
    p_alive,
    ltv_percentile,
    projected_12m_value,
    -- For campaign_targets, so it needs no second 8M-row join to customer_ltv.
    last_order_date,
    expected_days_between_orders,
    predicted_clv
from segmented
