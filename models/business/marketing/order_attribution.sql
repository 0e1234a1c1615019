{{ config(materialized='view') }}

{#- One row per order x touch x attribution model (orders without a touch: one '(none)' row per model), with
    the touch's credit share and its credit in currency. A view over int_order_touches: the five models are
    closed-form functions of a touch's position, the order's touch count and the time-decay weights, so they
    are computed when read instead of stored five times (at 10M orders that table has ~25M rows). -#}

with touch_kinds as (

    select
        touch_kind,
        channel,
        campaign_id,
        event_type
    from {{ ref('int_touch_kinds') }}

),

paths as (

    select
        {{ id_from_key('order_touches.order_id', 'order_touches.order_key') }} as order_id,
        order_touches.customer_key,
        {{ id_from_key('order_touches.customer_id', 'order_touches.customer_key') }} as customer_id,
        order_touches.order_date,
        order_touches.amount,
        {{ amount_cents('order_touches.amount') }} as amount_cents,
        order_touches.touch_position,
        order_touches.touch_count,
        order_touches.event_time is not null as is_touched,
        order_touches.event_time,
        cast(order_touches.event_time as date) as touch_date,
        touch_kinds.channel,
        touch_kinds.campaign_id,
        touch_kinds.event_type,
        order_touches.decay_weight,
        order_touches.decay_running,
        order_touches.decay_total
    from {{ ref('int_order_touches') }} as order_touches
    inner join touch_kinds
        on order_touches.touch_kind = touch_kinds.touch_kind

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
