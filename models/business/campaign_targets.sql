{{ config(materialized='view') }}

{#- One row per targeted customer and campaign: int_campaign_targets with its reason text. A view (measured,
    see DECISIONS.md "The daily build"): the text, one ~100-character string per target, was most of what a
    table cost to build and write (at 10M orders 5.4M targets, rewritten by every daily build because the
    figures move with the analysis date); built here, it costs only the readers that select it (the CSV
    export, the notebook). Every other column is int_campaign_targets' own, so a reader that does not select
    target_reason reads that table's columns and nothing more. -#}

with targets as (

    select
        campaign_type,
        customer_key,
        customer_id,
        segment,
        priority,
        priority_rank,
        estimated_campaign_value,
        expected_response_rate,
        projected_12m_value,
        churn_risk_score,
        ltv_percentile_unrounded,
        order_count,
        lifetime_revenue,
        last_order_date,
        recency_days,
        p_alive,
        predicted_clv,
        acquisition_channel,
        last_touch_channel,
        expected_days_between_orders
    from {{ ref('int_campaign_targets') }}

)

select
    campaign_type,
    customer_key,
    {{ id_from_key('customer_id', 'customer_key') }} as customer_id,
    segment,
    priority,
    priority_rank,
    estimated_campaign_value,
    expected_response_rate,
    projected_12m_value,
    churn_risk_score,
    round(ltv_percentile_unrounded, 4) as ltv_percentile,
    order_count,
    lifetime_revenue,
    last_order_date,
    recency_days,
    p_alive,
    predicted_clv,
    acquisition_channel,
    last_touch_channel,
    -- Concatenation and casts, format() only for the money amount's thousands separators: one format()
    -- call per target row costs about a second per 5M rows at 10M orders.
    segment || ' customer: last order ' || recency_days::string || ' days ago (usual gap '
    || {{ whole_number_text('expected_days_between_orders') }} || ' days), ' || order_count::string || ' order(s), '
    || {{ format_text('${:,.2f}', ["lifetime_revenue"]) }} || ' lifetime revenue, '
    || {{ ltv_percentile_label('ltv_percentile_unrounded') }}
    || ', churn risk ' || churn_risk_score::string || '/100' as target_reason
from targets
