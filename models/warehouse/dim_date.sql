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
    from {{ days_between_from('calendar_bounds', 'calendar_bounds.start_date', 'calendar_bounds.end_date', 'day') }}

)

select
    {{ date_key('calendar_date') }} as date_key,
    calendar_date,
    {{ date_part_number('day', 'calendar_date') }} as day_of_month,
    {{ date_part_number('isodow', 'calendar_date') }} as day_of_week,
    {{ date_text('calendar_date', '%A', 'EEEE') }} as day_name,
    {{ date_part_number('isodow', 'calendar_date') }} in (6, 7) as is_weekend,
    date_trunc('week', calendar_date)::date as week_start_date,
    {{ date_part_number('week', 'calendar_date') }} as iso_week,
    {{ date_part_number('isoyear', 'calendar_date') }} as iso_year,
    date_trunc('month', calendar_date)::date as month_start_date,
    {{ date_part_number('month', 'calendar_date') }} as month_number,
    {{ date_text('calendar_date', '%B', 'MMMM') }} as month_name,
    {{ date_text('calendar_date', '%Y-%m', 'yyyy-MM') }} as year_month,
    {{ date_part_number('quarter', 'calendar_date') }} as quarter_number,
    date_trunc('quarter', calendar_date)::date as quarter_start_date,
    {{ date_part_number('year', 'calendar_date') }} as year_number
from days
