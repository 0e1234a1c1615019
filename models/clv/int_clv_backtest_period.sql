{#- One row: the backtest's cut. The observed period runs from the first order to the analysis date; the
    holdout is its last clv_backtest_holdout_share (default a quarter), the calibration everything before.
    The backtest runs when the holdout has at least clv_backtest_min_holdout_days days and someone was a
    customer before the cut. Customers first seen before the cut are in scope; above
    clv_backtest_max_customers of them, a deterministic sample of that size (sample_share, see
    int_clv_backtest_histories) keeps the backtest's cost flat at scale. -#}

with analysis_date as (

    select
        as_of_date,
        first_order_date
    from {{ ref('int_analysis_date') }}

),

customers as (

    select first_order_date
    from {{ ref('dim_customer') }}

),

period as (

    select
        first_order_date as calibration_start_date,
        as_of_date as holdout_end_date,
        {{ dbt.datediff('first_order_date', 'as_of_date', 'day') }} as observed_days,
        cast(
            round({{ dbt.datediff('first_order_date', 'as_of_date', 'day') }}
                * {{ var('clv_backtest_holdout_share') }}) as integer
        ) as holdout_days
    from analysis_date

),

cut as (

    select
        *,
        cast({{ dbt.dateadd('day', '-holdout_days', 'holdout_end_date') }} as date) as calibration_end_date
    from period

),

in_scope as (

    select count(customers.first_order_date) as customers_in_scope
    from cut
    left join customers
        on customers.first_order_date <= cut.calibration_end_date

)

select
    cut.calibration_start_date,
    cut.calibration_end_date,
    cut.holdout_end_date,
    cut.observed_days,
    cut.holdout_days,
    in_scope.customers_in_scope,
    least(1.0, {{ var('clv_backtest_max_customers') }} / greatest(in_scope.customers_in_scope, 1)) as sample_share,
    cut.holdout_days >= {{ var('clv_backtest_min_holdout_days') }} and in_scope.customers_in_scope > 0
        as is_long_enough,
    case
        when cut.holdout_days < {{ var('clv_backtest_min_holdout_days') }}
            then 'the history is too short: ' || cast(cut.observed_days as string) || ' days observed, so the '
            || 'holdout (the last ' || cast(round(100 * {{ var('clv_backtest_holdout_share') }}) as string)
            || '%) would have ' || cast(cut.holdout_days as string) || ' days, fewer than '
            || '{{ var("clv_backtest_min_holdout_days") }} (clv_backtest_min_holdout_days)'
        when in_scope.customers_in_scope = 0
            then 'no customer was first seen before the cut'
    end as skip_reason
from cut
cross join in_scope
