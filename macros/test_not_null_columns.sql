{% test not_null_columns(model, columns) %}
    {#- One test for several columns: the rows where any of them is null. A model-level replacement for a
        not_null test per column (one table scan and one dbt node instead of one each). -#}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{{ " or " if not loop.last }}{% endfor %}
{% endtest %}
