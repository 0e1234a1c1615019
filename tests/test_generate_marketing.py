"""The seeded marketing generator (salesdw.sample.marketing): deterministic, consistent with the orders (paths
precede orders, untouched customers, prospects), spend per day and campaign, channels that differ in cost and
in the value of the customers they bring, and the click-tracking JSON shape."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesdw.sample import marketing
from salesdw.sample.generate import DEFAULT_END, DEFAULT_START

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
FILES = ("ad_spend.csv", "touchpoints.csv", "touchpoints_clicks.jsonl")


def digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample's marketing files, generated afresh from the bundled sales file."""
    folder = tmp_path_factory.mktemp("marketing")
    marketing.write_marketing_files(SAMPLE / "sales.csv", folder, 42, DEFAULT_START, DEFAULT_END)
    return folder


@pytest.fixture(scope="module")
def touches(sample_files: Path) -> pd.DataFrame:
    csv = pd.read_csv(
        sample_files / "touchpoints.csv", dtype={"customer_id": str}, parse_dates=["event_time"]
    )
    clicks = pd.read_json(sample_files / "touchpoints_clicks.jsonl", lines=True, dtype={"user_id": str})
    clicks = pd.DataFrame(
        {
            "event_time": pd.to_datetime(clicks["timestamp"]).dt.tz_localize(None),
            "customer_id": clicks["user_id"],
            "channel": clicks["source"],
            "campaign_id": clicks["campaign_id"],
            "event_type": "click",
        }
    )
    return pd.concat([csv, clicks], ignore_index=True)


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "sales.csv", dtype={"Customer ID": str}, parse_dates=["Date"])
    return frame.rename(columns={"Date": "order_date", "Customer ID": "customer_id", "Sales": "amount"})


REGENERATE = (
    "data/sample/marketing drifted from the generator; regenerate with python scripts/generate_sales.py "
    "--orders 40000 --seed 42 --out data/sample/sales.csv --marketing-dir data/sample/marketing"
)


def _marketing_frames(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        "spend": pd.read_csv(folder / "ad_spend.csv"),
        "touches": pd.read_csv(folder / "touchpoints.csv", dtype={"customer_id": str}),
        "clicks": pd.read_json(folder / "touchpoints_clicks.jsonl", lines=True, dtype={"user_id": str}),
    }


def test_committed_marketing_files_match_fresh_generation(sample_files: Path) -> None:
    """The committed marketing files are what the generator makes, compared by value: their bytes also
    depend on numpy's random streams, which numpy may change between versions (as for the sales sample,
    tests/test_generate.py). The sample's exact marketing figures are pinned by tests/test_readme.py."""
    if digest(SAMPLE / "marketing") == digest(sample_files):
        return
    committed, fresh = _marketing_frames(SAMPLE / "marketing"), _marketing_frames(sample_files)
    for name in committed:
        assert list(committed[name].columns) == list(fresh[name].columns), f"{name}: {REGENERATE}"
    # The spend rows are a calendar of campaigns, the same whatever the random stream.
    keys = ["date", "channel", "campaign_id"]
    assert committed["spend"][keys].equals(fresh["spend"][keys]), REGENERATE
    # Tolerances: how far seeds 43-48 land from seed 42 (a changed random stream is like another seed),
    # with room: totals of spend, impressions, clicks and conversions 1.2-2.1%, touch and click rows 1%,
    # touched customers 0.7%, spend per channel 2.5%, touches per channel 5.5%, per event type 2.4%.
    measures = {
        "spend": (lambda f: f["spend"]["spend"].sum(), 0.04),
        "impressions": (lambda f: f["spend"]["impressions"].sum(), 0.04),
        "clicks": (lambda f: f["spend"]["clicks"].sum(), 0.04),
        "conversions": (lambda f: f["spend"]["conversions"].sum(), 0.04),
        "touch rows": (lambda f: len(f["touches"]), 0.02),
        "click-tracking rows": (lambda f: len(f["clicks"]), 0.02),
        "touched customers": (lambda f: f["touches"]["customer_id"].nunique(), 0.015),
    }
    for name, (measure, tolerance) in measures.items():
        assert measure(committed) == pytest.approx(measure(fresh), rel=tolerance), f"{name}: {REGENERATE}"
    for name, table, column, value, tolerance in (
        ("spend by channel", "spend", "channel", "spend", 0.05),
        ("touches by channel", "touches", "channel", None, 0.1),
        ("touches by event type", "touches", "event_type", None, 0.05),
    ):
        sides = [
            frame[table].groupby(column)[value].sum() if value else frame[table].groupby(column).size()
            for frame in (committed, fresh)
        ]
        assert list(sides[0].index) == list(sides[1].index), f"{name}: {REGENERATE}"
        assert sides[0].values == pytest.approx(sides[1].values, rel=tolerance), f"{name}: {REGENERATE}"


def test_deterministic_by_seed(tmp_path: Path) -> None:
    sales = tmp_path / "sales.csv"
    from salesdw.sample.generate import write_sales_csv

    write_sales_csv(sales, 3_000, seed=5, start="2021-01-01", end="2021-06-30")
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        marketing.write_marketing_files(sales, tmp_path / name, seed, "2021-01-01", "2021-06-30")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["touchpoints.csv"] != digest(tmp_path / "c")["touchpoints.csv"]


def test_click_tracking_shape(sample_files: Path) -> None:
    lines = (sample_files / "touchpoints_clicks.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(
        set(record) == {"campaign_id", "user_id", "source", "ad_id", "timestamp"} for record in records
    )
    assert all(record["timestamp"].endswith("Z") and record["source"] == "google_ads" for record in records)


def test_touches_are_of_customers_and_prospects(touches: pd.DataFrame, orders: pd.DataFrame) -> None:
    customers = set(orders["customer_id"])
    touched = set(touches["customer_id"])
    prospects = touched - customers
    largest = max(int(customer) for customer in customers)
    assert prospects and all(int(prospect) > largest for prospect in prospects)
    never_touched = 1 - len(touched & customers) / len(customers)
    assert 0.15 <= never_touched <= 0.35  # P_UNTOUCHED_CUSTOMER plus customers whose touches all fell before


def _acquisition(touches: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per customer: the channel of the last touch in the 30 days up to the first order, else (none)."""
    first = orders.groupby("customer_id")["order_date"].min().rename("first_order").reset_index()
    value = orders.groupby("customer_id")["amount"].sum().rename("revenue")
    joined = touches.merge(first, on="customer_id")
    day = joined["event_time"].dt.normalize()
    window = joined[(day <= joined["first_order"]) & (day >= joined["first_order"] - pd.Timedelta(days=30))]
    last = window.sort_values("event_time").groupby("customer_id")["channel"].last()
    result = first.set_index("customer_id").join(value)
    result["channel"] = last.reindex(result.index).fillna("(none)")
    return result


def test_paths_precede_orders_and_channels_differ(touches: pd.DataFrame, orders: pd.DataFrame) -> None:
    acquisition = _acquisition(touches, orders)
    touched_first_orders = (acquisition["channel"] != "(none)").mean()
    assert 0.6 <= touched_first_orders <= 0.8
    by_channel = acquisition.groupby("channel")["revenue"].agg(["mean", "count"])
    # Search and e-mail bring customers worth more than display's.
    assert by_channel.loc["google_ads", "mean"] > 1.5 * by_channel.loc["display", "mean"]
    assert by_channel.loc["email", "mean"] > 1.5 * by_channel.loc["display", "mean"]
    spend = pd.read_csv(SAMPLE / "marketing" / "ad_spend.csv").groupby("channel")["spend"].sum()
    cac = spend / by_channel["count"].reindex(spend.index)
    assert cac["display"] > 2 * cac["google_ads"] > cac["email"]


def test_spend_rows_per_day_and_running_campaign() -> None:
    spend = pd.read_csv(SAMPLE / "marketing" / "ad_spend.csv", parse_dates=["date"])
    assert not spend.duplicated(["date", "channel", "campaign_id"]).any()
    assert "organic_search" not in set(spend["channel"])  # touches, no spend
    summer = spend[spend["campaign_id"] == "fb_summer_sale"]["date"].dt.month
    assert set(summer) == {6, 7, 8}
    days = pd.date_range(DEFAULT_START, DEFAULT_END)
    always = spend[spend["campaign_id"] == "gads_generic"]
    assert list(always["date"]) == list(days)
    assert (spend["clicks"] <= spend["impressions"]).all()
    assert (spend["conversions"] <= spend["clicks"]).all()
    ctr = spend.groupby("channel")[["clicks", "impressions"]].sum()
    assert np.isclose(ctr.loc["google_ads", "clicks"] / ctr.loc["google_ads", "impressions"], 0.045, rtol=0.1)
