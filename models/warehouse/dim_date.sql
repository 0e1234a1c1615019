with dated_rows as (

    -- Orders and returns: a return's date joins dim_date too.
    select order_date as event_date
    from {{ ref('stg_sales') }}

    union all

    -- fact_returns, a small table (the staging view would scan every raw row again)
    select return_date as event_date
    from {{ ref('fact_returns') }}

),

order_dates as (

    select
        min(event_date) as first_order_date,
        greatest(max(event_date), {{ analysis_date() }}) as last_covered_date
    from dated_rows

),

calendar_bounds as (

    -- Whole months, so month-level joins never miss a day.
    select
        date_trunc('month', first_order_date)::date as start_date,
        last_day(last_covered_date) as end_date
    from order_dates

),

days as (

    select cast(day as date) as calendar_date
    from calendar_bounds,
        range(calendar_bounds.start_date, calendar_bounds.end_date + interval 1 day, interval 1 day)
            as spine (day)

)

select
    {{ date_key('calendar_date') }} as date_key,
    calendar_date,
    extract('day' from calendar_date)::integer as day_of_month,
    extract('isodow' from calendar_date)::integer as day_of_week,
    dayname(calendar_date) as day_name,
    extract('isodow' from calendar_date) in (6, 7) as is_weekend,
    date_trunc('week', calendar_date)::date as week_start_date,
    extract('week' from calendar_date)::integer as iso_week,
    extract('isoyear' from calendar_date)::integer as iso_year,
    date_trunc('month', calendar_date)::date as month_start_date,
    extract('month' from calendar_date)::integer as month_number,
    monthname(calendar_date) as month_name,
    strftime(calendar_date, '%Y-%m') as year_month,
    extract('quarter' from calendar_date)::integer as quarter_number,
    date_trunc('quarter', calendar_date)::date as quarter_start_date,
    extract('year' from calendar_date)::integer as year_number
from days
