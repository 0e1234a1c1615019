{#- One row per distinct purchase history (frequency, recency_weeks, age_weeks) of
    int_customer_purchase_history, with the number of customers who have it: what the purchase models are
    fitted on (clv_model_fit, weighted by customers) and scored on (int_clv_customer_scores). The BG/NBD and
    Pareto/NBD likelihoods and predictions depend on the history only, so 8M customers reduce to a few
    hundred thousand rows here, once, and customer_clv joins the scores back on these three doubles. -#}

with histories as (

    select
        frequency,
        recency_weeks,
        age_weeks
    from {{ ref('int_customer_purchase_history') }}

)

select
    cast(frequency as double) as frequency,
    cast(recency_weeks as double) as recency_weeks,
    cast(age_weeks as double) as age_weeks,
    count(*) as customers
from histories
group by 1, 2, 3
