{#- seeds/business_rules.csv pivoted to one typed row, so models read `rules.<name>`. A rule missing from
    the seed becomes null here and fails this model's not_null tests. -#}

{%- set rules = {
    'new_max_days_since_first_order': 'integer',
    'lost_min_days_since_last_order': 'integer',
    'high_value_top_share': 'double',
    'high_value_max_days_since_last_order': 'integer',
    'at_risk_min_days_since_last_order': 'integer',
    'at_risk_min_churn_risk_score': 'integer',
    'at_risk_max_p_alive': 'double',
    'churn_weight_recency': 'double',
    'churn_weight_frequency': 'double',
    'churn_weight_value_trend': 'double',
    'churn_band_high_min_score': 'integer',
    'churn_band_medium_min_score': 'integer',
    'projection_min_tenure_days': 'integer',
    'fallback_days_between_orders': 'double',
    'priority_high_min_value_percentile': 'double',
    'priority_high_min_churn_risk_score': 'integer',
    'priority_medium_min_value_percentile': 'double',
    'priority_medium_min_churn_risk_score': 'integer',
    'insight_min_cohort_size': 'integer',
    'insight_one_time_share_warning': 'double',
    'insight_concentration_warning': 'double',
    'insight_revenue_decline_warning': 'double',
} %}

with business_rules as (

    select
        rule_name,
        rule_value
    from {{ ref('business_rules') }}

)

select
    {%- for rule_name, rule_type in rules.items() %}
    cast(max(rule_value) filter (where rule_name = '{{ rule_name }}') as {{ rule_type }}) as {{ rule_name }}
    {{- "," if not loop.last }}
    {%- endfor %}
from business_rules
