"""Per distinct history (frequency, recency_weeks, age_weeks) of int_customer_purchase_history: P(alive),
expected purchases in the next 30/90/365 days and the discounted expected purchases of the CLV horizon,
from the BG/NBD parameters in clv_model_fit (salesdw.clv.tables.score_table); null when that fit is not
usable. They depend on the history only, so only distinct histories leave DuckDB; customer_clv joins
them back to the customers and multiplies by the Gamma-Gamma expected order value (predicted CLV)."""

from salesdw.clv import tables as clv


def model(dbt, session):
    dbt.config(materialized="table")
    history = clv.PurchaseHistory.from_columns(
        dbt.ref("int_customer_purchase_history").aggregate(*clv.HISTORY_GROUPS).fetchnumpy()
    )
    fit = dbt.ref("clv_model_fit")
    rows = [dict(zip(fit.columns, values, strict=True)) for values in fit.fetchall()]
    return clv.score_table(history, clv.fitted_models(rows))
