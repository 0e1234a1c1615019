{% test unique_combination(model, columns) %}
    {#- The columns together identify a row (the grain key of a model with a composite key). -#}
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test exactly_one_row(model) %}
    select row_count
    from (select count(*) as row_count from {{ model }}) as counted
    where row_count <> 1
{% endtest %}

{% test value_between(model, column_name, min_value, max_value) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
