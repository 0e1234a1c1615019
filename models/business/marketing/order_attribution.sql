{{ config(materialized='view') }}

{#- One row per order x touch x attribution model (orders without a touch: one '(none)' row per model), with
    the touch's credit share and its credit in currency. A view over int_order_touches: the five models are
    closed-form functions of a touch's position, the order's touch count and the time-decay weights, so they
    are computed when read instead of stored five times (at 10M orders that table has ~25M rows). -#}

with paths as (

    select
        order_id,
        customer_key,
        customer_id,
        order_date,
        amount,
        {{ amount_cents('amount') }} as amount_cents,
        touch_position,
        touch_count,
        event_time is not null as is_touched,
        event_time,
        cast(event_time as date) as touch_date,
        channel,
        campaign_id,
        event_type,
        decay_weight,
        decay_running,
        decay_total
    from {{ ref('int_order_touches') }}

),

models as (

    {%- for model in attribution_models() %}
    select '{{ model }}' as attribution_model, {{ loop.index }} as model_order
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}

),

credited as (

    select
        paths.order_id,
        paths.customer_key,
        paths.customer_id,
        paths.order_date,
        paths.amount as order_amount,
        models.attribution_model,
        paths.touch_position,
        paths.touch_count,
        paths.is_touched,
        paths.event_time,
        paths.touch_date,
        {{ dbt.datediff('paths.touch_date', 'paths.order_date', 'day') }} as days_before_order,
        paths.channel,
        paths.campaign_id,
        paths.event_type,
        case models.attribution_model
            {%- for model in attribution_models() %}
            when '{{ model }}' then {{ attribution_credit_share(model, 'paths.') }}
            {%- endfor %}
        end as credit_share,
        case models.attribution_model
            {%- for model in attribution_models() %}
            when '{{ model }}' then {{ attribution_credit_cents(model, 'paths.amount_cents', 'paths.') }}
            {%- endfor %}
        end as credit_cents
    from paths
    cross join models

)

select
    order_id,
    customer_key,
    customer_id,
    order_date,
    order_amount,
    attribution_model,
    touch_position,
    touch_count,
    is_touched,
    event_time,
    touch_date,
    days_before_order,
    channel,
    campaign_id,
    event_type,
    credit_share,
    cast(credit_cents / 100.0 as decimal(18, 2)) as credit_amount
from credited
