"""Per distinct history (frequency, recency_weeks, age_weeks; int_clv_distinct_histories): P(alive),
expected purchases in the next 30/90/365 days, P(no purchase) in the next 30/90 days, the 80% interval of
the 90-day expected purchases and the discounted expected purchases of the CLV horizon, from the selected
purchase model's row of clv_model_fit (salesdw.clv.tables.score_table); null when that fit is not usable.
They depend on the history only; customer_clv joins them back to the customers and multiplies by the
Gamma-Gamma expected order value (predicted CLV)."""

from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    history = clv.PurchaseHistory.from_columns(dbt.ref("int_clv_distinct_histories").fetchnumpy())
    fit = dbt.ref("clv_model_fit")
    rows = [dict(zip(fit.columns, values, strict=True)) for values in fit.fetchall()]
    return clv.score_table(history, clv.fitted_models(rows))
