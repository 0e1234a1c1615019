"""Seeded, deterministic marketing data consistent with a sales file: ad spend and customer touchpoints.

Reads the orders back from the sales CSV(s) (any file in the raw contract; ids are kept as text) and
simulates, vectorised in numpy:

* **Customers who were never touched** (``P_UNTOUCHED_CUSTOMER``) and, for the others, an **acquisition
  channel** drawn from a mix that depends on the customer's value (the rank of their mean log order value):
  search and e-mail bring the valuable customers, display the cheap ones (``ACQUISITION_LOGITS``).
* **Touch paths that precede orders**: a first order has a path with probability ``P_PATH_FIRST`` whose last
  touch is the acquisition channel; a repeat order has one with probability ``P_PATH_REPEAT`` (mostly
  e-mail). The last touch lies ``Geometric`` days before the order (often the same day), earlier touches
  exponential gaps further back, so some fall outside a 30-day lookback window.
* **Stray touches** (touches that led to nothing) of customers, and **prospects**: people touched who never
  ordered (ids after the largest sales id, or ``P<n>`` when the sales ids are not integers).
* **Daily spend per channel and campaign**: spend follows the known touches of the day
  (``CHANNELS[...].cost_per_touch``, with noise), clicks = spend / CPC, impressions = clicks / CTR,
  platform-reported conversions = Binomial(clicks, CVR). Channels differ in cost per touch, so they differ in
  ROAS and CAC. Organic search has touches but no spend.

Files written into ``out_dir``:

* ``ad_spend.csv``: ``date, channel, campaign_id, campaign_name, impressions, clicks, conversions, spend``.
* ``touchpoints.csv``: ``event_time, customer_id, channel, campaign_id, event_type``, sorted by time.
* ``touchpoints_clicks.jsonl``: the Google Ads clicks in the click-tracking shape, one JSON object a line:
  ``{"campaign_id", "user_id", "source", "ad_id", "timestamp"}`` (``user_id`` = customer id, ``source`` =
  channel, ``timestamp`` ISO with ``Z``).

Deterministic for a given sales file, seed and date range.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from salesdw.sample.generate import _sql_str

if TYPE_CHECKING:
    import duckdb

MARKETING_SEED_SALT = 0x3A4B


@dataclass(frozen=True)
class Channel:
    name: str
    #: Dollars of spend per touch of a known customer (spend also pays for anonymous traffic). 0 = no spend.
    cost_per_touch: float
    #: Cost per click and click-through rate: clicks = spend / cpc, impressions = clicks / ctr.
    cpc: float
    ctr: float
    #: Share of clicks the platform reports as conversions (its own, self-attributed view).
    platform_cvr: float
    #: Event types of its touches and their probabilities.
    event_types: tuple[tuple[str, float], ...]


CHANNELS: tuple[Channel, ...] = (
    Channel("google_ads", 16.0, 0.95, 0.045, 0.035, (("click", 0.9), ("impression", 0.1))),
    Channel("facebook_ads", 17.0, 0.55, 0.012, 0.020, (("impression", 0.5), ("click", 0.5))),
    Channel("display", 28.0, 0.90, 0.0015, 0.005, (("impression", 0.85), ("click", 0.15))),
    Channel("email", 3.5, 0.02, 0.025, 0.030, (("email_open", 0.7), ("click", 0.3))),
    Channel("affiliate", 14.0, 0.60, 0.020, 0.030, (("click", 1.0),)),
    Channel("organic_search", 0.0, 0.0, 0.0, 0.0, (("visit", 1.0),)),
)
CHANNEL_INDEX = {channel.name: index for index, channel in enumerate(CHANNELS)}


@dataclass(frozen=True)
class Campaign:
    channel: str
    campaign_id: str
    campaign_name: str
    #: Relative weight among the channel's campaigns.
    weight: float
    #: Months (1-12) the campaign runs in; None = all year.
    months: tuple[int, ...] | None = None


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("google_ads", "gads_brand", "Google Ads - Brand", 0.35),
    Campaign("google_ads", "gads_generic", "Google Ads - Generic", 0.45),
    Campaign("google_ads", "gads_shopping", "Google Shopping", 0.20),
    Campaign("facebook_ads", "fb_prospecting", "Facebook - Prospecting", 0.55),
    Campaign("facebook_ads", "fb_retargeting", "Facebook - Retargeting", 0.35),
    Campaign("facebook_ads", "fb_summer_sale", "Facebook - Summer Sale", 0.40, (6, 7, 8)),
    Campaign("display", "dsp_awareness", "Display - Awareness", 1.0),
    Campaign("email", "em_newsletter", "Newsletter", 0.60),
    Campaign("email", "em_promo", "E-mail promotions", 0.30),
    Campaign("email", "em_black_friday", "Black Friday e-mail", 0.60, (11,)),
    Campaign("affiliate", "aff_network", "Affiliate network", 1.0),
    # Organic search has touches (visits) but no campaign and no spend: its campaign_id is empty.
    Campaign("organic_search", "", "", 1.0),
)

# --- Tuned process parameters -----------------------------------------------------------------------------
#: Customers never touched by marketing (their orders are credited to "(none)").
P_UNTOUCHED_CUSTOMER = 0.20
#: Acquisition channel: softmax(base + tilt * (value rank - 0.5)) over CHANNELS, per customer.
ACQUISITION_LOGITS: tuple[tuple[float, float], ...] = (
    (1.0, 1.6),  # google_ads: many, valuable customers
    (0.8, -0.8),  # facebook_ads: many, less valuable
    (0.0, -2.4),  # display: the least valuable
    (-0.3, 1.8),  # email (newsletter sign-ups): few, valuable
    (-0.2, 0.0),  # affiliate
    (0.2, 0.6),  # organic_search
)
#: Channels of the touches before the last one of a first order's path, and of repeat orders' paths.
FIRST_PATH_MIX: tuple[float, ...] = (0.20, 0.28, 0.25, 0.07, 0.10, 0.10)
REPEAT_PATH_MIX: tuple[float, ...] = (0.18, 0.14, 0.06, 0.42, 0.05, 0.15)
#: A repeat order's last touch is the customer's acquisition channel with this probability.
P_REPEAT_LAST_IS_ACQUISITION = 0.35
P_PATH_FIRST = 0.90
P_PATH_REPEAT = 0.55
#: Path length = 1 + min(Poisson(mean), MAX_PATH - 1).
FIRST_PATH_EXTRA_MEAN = 1.4
REPEAT_PATH_EXTRA_MEAN = 0.8
MAX_PATH = 8
#: Days from the last touch to the order ~ Geometric(p) - 1 (P(same day) = p), capped.
LAST_TOUCH_GEOMETRIC_P = 0.45
MAX_LAST_TOUCH_DAYS = 45
#: Mean days between consecutive touches of a path (exponential).
TOUCH_GAP_MEAN_DAYS = 4.0
#: Touches that led to nothing: Poisson(mean) per touched customer, uniform from 20 days before the first
#: order to the end of the range.
STRAY_TOUCHES_MEAN = 0.30
#: People touched who never ordered, per touched customer; each with 1 + Poisson(mean) touches.
PROSPECTS_PER_TOUCHED_CUSTOMER = 0.25
PROSPECT_EXTRA_TOUCHES_MEAN = 0.8
#: Spend noise: spend = (known touches + Poisson(baseline)) * cost per touch * LogNormal(0, sigma).
SPEND_BASELINE_TOUCHES = 0.5
SPEND_NOISE_SIGMA = 0.20
#: Ads per campaign (for ad_id in the click-tracking file).
ADS_PER_CAMPAIGN = 6

SECONDS_PER_DAY = 86_400
CLICK_STREAM_CHANNEL = "google_ads"


@dataclass(frozen=True)
class MarketingResult:
    touchpoints: int
    spend_rows: int
    prospects: int
    seconds: float
    paths: list[Path]


def _sql_list(values: list[str]) -> str:
    """A DuckDB list literal of strings, indexed 1-based in SQL: the names behind numpy's codes."""
    return "[" + ", ".join(_sql_str(value) for value in values) + "]"


def _categorical(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    """n draws from one categorical distribution (probabilities need not be normalised)."""
    cumulative = np.cumsum(probabilities) / np.sum(probabilities)
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(cumulative) - 1)


def _categorical_rows(rng: np.random.Generator, cumulative: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element of `rows`, from the cumulative distribution in that row of `cumulative`. One
    searchsorted per distinct row (a handful), not a comparison matrix of every draw against every row."""
    draws = rng.random(len(rows))
    result = np.empty(len(rows), dtype=np.int64)
    last = cumulative.shape[1] - 1
    for row in np.unique(rows):
        members = np.flatnonzero(rows == row)
        result[members] = np.minimum(np.searchsorted(cumulative[row], draws[members], side="right"), last)
    return result


@dataclass(frozen=True)
class Orders:
    """The orders the marketing data must be consistent with, sorted by (customer, date)."""

    customer: np.ndarray  # int64, customer number 0..n-1 (in customer id order)
    day: np.ndarray  # int64, days since the first day of the range
    is_first: np.ndarray  # bool, the customer's first order
    customer_ids: np.ndarray  # int64, per customer number: the customer id
    value_rank: np.ndarray  # float64, per customer number: rank of the mean log order value, 0..1

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)


def read_orders(sales_glob: str | os.PathLike[str], start: np.datetime64) -> Orders:
    """The orders of a sales CSV (or glob) in the raw contract with integer customer ids, as the sales
    generator writes them."""
    import duckdb

    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        arrays = connection.execute(
            f"""
            select
                cast("Customer ID" as bigint) as customer_id,
                cast(date_diff('day', date {_sql_str(str(start))}, cast("Date" as date)) as bigint) as day,
                cast("Sales" as double) as sales
            from read_csv({_sql_str(str(sales_glob))}, header = true, delim = ',', all_varchar = true)
            """
        ).fetchnumpy()
    customer_id = np.asarray(arrays["customer_id"], dtype=np.int64)
    day = np.asarray(arrays["day"], dtype=np.int64)
    log_value = np.log(np.maximum(np.asarray(arrays["sales"], dtype=np.float64), 0.01))
    # Stable sort: same-day orders of a customer keep the file's order, so the result does not depend on it
    # beyond that (the file order itself is deterministic).
    order = np.lexsort((day, customer_id))
    customer_id, day, log_value = customer_id[order], day[order], log_value[order]
    is_first = np.ones(len(customer_id), dtype=bool)
    is_first[1:] = customer_id[1:] != customer_id[:-1]
    customer = np.cumsum(is_first) - 1
    starts = np.flatnonzero(is_first)
    if len(starts) == 0:
        return Orders(customer, day, is_first, customer_id, np.empty(0))
    mean_log_value = np.add.reduceat(log_value, starts) / np.diff(np.append(starts, len(day)))
    rank = np.empty(len(starts), dtype=np.float64)
    rank[np.argsort(mean_log_value, kind="stable")] = np.arange(len(starts)) / max(len(starts) - 1, 1)
    return Orders(customer, day, is_first, customer_id[starts], rank)


def _campaign_tables() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per channel: the indices (into CAMPAIGNS) of its campaigns and, per month (12 rows), their cumulative
    weights (a campaign outside its months weighs 0)."""
    indices, cumulative = [], []
    for channel in CHANNELS:
        members = [i for i, campaign in enumerate(CAMPAIGNS) if campaign.channel == channel.name]
        weights = np.array(
            [
                [
                    CAMPAIGNS[i].weight
                    if CAMPAIGNS[i].months is None or month in CAMPAIGNS[i].months
                    else 0.0
                    for i in members
                ]
                for month in range(1, 13)
            ]
        )
        indices.append(np.array(members))
        cumulative.append(np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True))
    return indices, cumulative


def _assign_campaigns(rng: np.random.Generator, channel: np.ndarray, month: np.ndarray) -> np.ndarray:
    """A campaign of the touch's channel that runs in the touch's month (0-11)."""
    campaign = np.empty(len(channel), dtype=np.int16)
    indices, cumulative = _campaign_tables()
    for c in range(len(CHANNELS)):
        rows = np.flatnonzero(channel == c)
        campaign[rows] = indices[c][_categorical_rows(rng, cumulative[c], month[rows])]
    return campaign


EVENT_TYPES: tuple[str, ...] = tuple(sorted({name for c in CHANNELS for name, _ in c.event_types}))


def _assign_event_types(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    event_type = np.empty(len(channel), dtype=np.int8)
    for c, spec in enumerate(CHANNELS):
        rows = np.flatnonzero(channel == c)
        kinds = np.array([EVENT_TYPES.index(name) for name, _ in spec.event_types])
        event_type[rows] = kinds[_categorical(rng, np.array([p for _, p in spec.event_types]), len(rows))]
    return event_type


@dataclass(frozen=True)
class Touches:
    """Touches sorted by time, then person. Persons 0..n_customers-1 are the customers, then prospects."""

    person: np.ndarray  # int64
    seconds: np.ndarray  # int64, since the first day of the range, 00:00
    channel: np.ndarray  # int8, index into CHANNELS
    n_prospects: int


def simulate_touches(rng: np.random.Generator, orders: Orders, n_days: int) -> Touches:
    """Paths before orders, stray touches of customers and touches of prospects (see the module docstring)."""
    n_customers = orders.n_customers
    touched = rng.random(n_customers) >= P_UNTOUCHED_CUSTOMER
    # Acquisition channel from a mix tilted by the customer's value (a table of 10 value deciles).
    logits = np.array(ACQUISITION_LOGITS)
    centre = (np.arange(10) + 0.5) / 10 - 0.5
    weights = np.exp(logits[:, 0][None, :] + logits[:, 1][None, :] * centre[:, None])
    decile = np.minimum((orders.value_rank * 10).astype(np.int64), 9)
    acquisition = _categorical_rows(rng, np.cumsum(weights, 1) / weights.sum(1, keepdims=True), decile)

    # Paths of orders: the last touch Geometric days before the order, earlier ones exponential gaps back.
    customer, day, is_first = orders.customer, orders.day, orders.is_first
    chance = np.where(is_first, P_PATH_FIRST, P_PATH_REPEAT)
    path_orders = np.flatnonzero(touched[customer] & (rng.random(len(customer)) < chance))
    first = is_first[path_orders]
    extra = rng.poisson(np.where(first, FIRST_PATH_EXTRA_MEAN, REPEAT_PATH_EXTRA_MEAN))
    length = 1 + np.minimum(extra, MAX_PATH - 1)
    owner = np.repeat(np.arange(len(path_orders)), length)
    starts = np.cumsum(length) - length
    back = np.arange(len(owner)) - starts[owner]  # 0 = the last touch, 1 = the one before, ...
    last_days = np.minimum(rng.geometric(LAST_TOUCH_GEOMETRIC_P, len(path_orders)) - 1, MAX_LAST_TOUCH_DAYS)
    last_time = (day[path_orders] - last_days) * SECONDS_PER_DAY + rng.integers(
        0, SECONDS_PER_DAY, len(path_orders)
    )
    gaps = np.where(back > 0, rng.exponential(TOUCH_GAP_MEAN_DAYS * SECONDS_PER_DAY, len(owner)), 0.0)
    cumulative_gap = np.cumsum(gaps)
    cumulative_gap -= cumulative_gap[starts][owner]
    path_time = last_time[owner] - cumulative_gap.astype(np.int64)
    path_customer = customer[path_orders][owner]
    path_first = first[owner]
    mixes = np.stack([np.cumsum(FIRST_PATH_MIX), np.cumsum(REPEAT_PATH_MIX)])
    path_channel = _categorical_rows(rng, mixes / mixes[:, -1:], np.where(path_first, 0, 1))
    keeps_acquisition = path_first | (rng.random(len(owner)) < P_REPEAT_LAST_IS_ACQUISITION)
    path_channel = np.where((back == 0) & keeps_acquisition, acquisition[path_customer], path_channel)

    # Stray touches of touched customers, from 20 days before their first order to the end of the range.
    first_day = day[orders.is_first]
    stray_customer = np.repeat(
        np.arange(n_customers), np.where(touched, rng.poisson(STRAY_TOUCHES_MEAN, n_customers), 0)
    )
    low = np.maximum(first_day[stray_customer] - 20, 0) * SECONDS_PER_DAY
    stray_time = low + (rng.random(len(stray_customer)) * (n_days * SECONDS_PER_DAY - low)).astype(np.int64)
    stray_channel = _categorical(rng, np.array(REPEAT_PATH_MIX), len(stray_customer))

    # Prospects: touched, never ordered.
    n_prospects = round(PROSPECTS_PER_TOUCHED_CUSTOMER * int(touched.sum()))
    prospect = n_customers + np.repeat(
        np.arange(n_prospects), 1 + rng.poisson(PROSPECT_EXTRA_TOUCHES_MEAN, n_prospects)
    )
    prospect_time = rng.integers(0, n_days * SECONDS_PER_DAY, len(prospect))
    prospect_channel = _categorical(rng, np.array(FIRST_PATH_MIX), len(prospect))

    person = np.concatenate([path_customer, stray_customer, prospect])
    seconds = np.concatenate([path_time, stray_time, prospect_time])
    channel = np.concatenate([path_channel, stray_channel, prospect_channel]).astype(np.int8)
    inside = seconds >= 0  # touches before the first day of the range are not in the data
    order = np.lexsort((person[inside], seconds[inside]))
    return Touches(person[inside][order], seconds[inside][order], channel[inside][order], n_prospects)


def _months_of(start: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    """Calendar month (0-11) of each time, from seconds since `start` 00:00."""
    # Per distinct day (a few hundred) instead of per touch.
    days, inverse = np.unique(seconds // SECONDS_PER_DAY, return_inverse=True)
    day_months = (start + days.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64) % 12
    return day_months[inverse]


def spend_table(
    rng: np.random.Generator, day: np.ndarray, campaign: np.ndarray, start: np.datetime64, n_days: int
) -> dict[str, np.ndarray]:
    """One row per day x paid campaign running that day: spend follows the day's known touches of the
    campaign; clicks, impressions and conversions follow the spend."""
    counts = np.bincount(day * len(CAMPAIGNS) + campaign, minlength=n_days * len(CAMPAIGNS))
    counts = counts[: n_days * len(CAMPAIGNS)].reshape(n_days, len(CAMPAIGNS))
    calendar = start + np.arange(n_days).astype("timedelta64[D]")
    months = calendar.astype("datetime64[M]").astype(np.int64) % 12 + 1
    row_day, row_campaign = [], []
    for i, campaign_spec in enumerate(CAMPAIGNS):
        if CHANNELS[CHANNEL_INDEX[campaign_spec.channel]].cost_per_touch <= 0:
            continue
        days = np.flatnonzero(
            np.ones(n_days, bool) if campaign_spec.months is None else np.isin(months, campaign_spec.months)
        )
        row_day.append(days)
        row_campaign.append(np.full(len(days), i))
    days_column, campaigns_column = np.concatenate(row_day), np.concatenate(row_campaign)
    order = np.lexsort((campaigns_column, days_column))
    days_column, campaigns_column = days_column[order], campaigns_column[order]
    channel = np.array([CHANNEL_INDEX[CAMPAIGNS[i].channel] for i in campaigns_column], dtype=np.int64)
    spec = {
        name: np.array([getattr(c, name) for c in CHANNELS])[channel]
        for name in ("cost_per_touch", "cpc", "ctr")
    }
    cvr = np.array([c.platform_cvr for c in CHANNELS])[channel]
    touches = counts[days_column, campaigns_column] + rng.poisson(SPEND_BASELINE_TOUCHES, len(days_column))
    noise = rng.lognormal(0.0, SPEND_NOISE_SIGMA, len(days_column))
    cents = np.rint(touches * spec["cost_per_touch"] * noise * 100).astype(np.int64)
    clicks = np.rint(cents / 100 / spec["cpc"]).astype(np.int64)
    impression_noise = rng.lognormal(0.0, 0.1, len(days_column))
    impressions = np.maximum(clicks, np.rint(clicks / spec["ctr"] * impression_noise)).astype(np.int64)
    return {
        "day": days_column.astype(np.int64),
        "campaign": campaigns_column.astype(np.int64),
        "impressions": impressions,
        "clicks": clicks,
        "conversions": rng.binomial(clicks, cvr).astype(np.int64),
        "cents": cents,
    }


def write_marketing_files(
    sales_glob: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    seed: int,
    start: str,
    end: str,
) -> MarketingResult:
    """Marketing files for the orders in `sales_glob` (a CSV file or glob in the raw contract, integer
    customer ids) over [start, end], written into `out_dir` (see the module docstring)."""
    import duckdb

    started = time.perf_counter()
    first_day = np.datetime64(start, "D")
    n_days = int((np.datetime64(end, "D") - first_day).astype(np.int64)) + 1
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, MARKETING_SEED_SALT]))
    orders = read_orders(sales_glob, first_day)
    touches = simulate_touches(rng, orders, n_days)
    campaign = _assign_campaigns(rng, touches.channel, _months_of(first_day, touches.seconds))
    event_type = _assign_event_types(rng, touches.channel)
    ad = rng.integers(1, ADS_PER_CAMPAIGN + 1, len(touches.seconds)).astype(np.int16)
    spend = spend_table(rng, touches.seconds // SECONDS_PER_DAY, campaign.astype(np.int64), first_day, n_days)
    # Prospects get the ids after the largest customer id.
    next_id = int(orders.customer_ids.max(initial=0)) + 1
    person_ids = np.concatenate(
        [orders.customer_ids, next_id + np.arange(touches.n_prospects, dtype=np.int64)]
    )
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        paths = _write_files(
            connection, out, first_day, person_ids[touches.person], touches, campaign, event_type, ad, spend
        )
    return MarketingResult(
        len(touches.seconds), len(spend["day"]), touches.n_prospects, time.perf_counter() - started, paths
    )


def _write_files(
    connection: duckdb.DuckDBPyConnection,
    out: Path,
    first_day: np.datetime64,
    customer_id: np.ndarray,
    touches: Touches,
    campaign: np.ndarray,
    event_type: np.ndarray,
    ad: np.ndarray,
    spend: dict[str, np.ndarray],
) -> list[Path]:
    """COPY the arrays out. No joins or sorts: the arrays are in output order and the names come from list
    literals indexed by the codes, so DuckDB writes in insertion order."""
    channels = _sql_list([c.name for c in CHANNELS])
    campaign_ids = _sql_list([c.campaign_id for c in CAMPAIGNS])
    campaign_names = _sql_list([c.campaign_name for c in CAMPAIGNS])
    channel_of_campaign = _sql_list([c.channel for c in CAMPAIGNS])
    event_types = _sql_list(list(EVENT_TYPES))
    epoch = f"timestamp {_sql_str(str(first_day))}"
    click_stream = f"channel = {CHANNEL_INDEX[CLICK_STREAM_CHANNEL]} and event = {EVENT_TYPES.index('click')}"
    connection.register(
        "touches",
        {
            "seconds": touches.seconds,
            "customer_id": customer_id,
            "channel": touches.channel,
            "campaign": campaign,
            "event": event_type,
            "ad": ad,
        },
    )
    touch_csv, click_jsonl, spend_csv = (
        out / "touchpoints.csv",
        out / "touchpoints_clicks.jsonl",
        out / "ad_spend.csv",
    )
    csv_options = "format csv, header true, delimiter ',', quote '\"', new_line '\\n'"
    connection.execute(
        f"""
        copy (
            select
                {epoch} + to_seconds(seconds) as event_time,
                customer_id,
                {channels}[channel + 1] as channel,
                {campaign_ids}[campaign + 1] as campaign_id,
                {event_types}[event + 1] as event_type
            from touches
            where not ({click_stream})
        ) to {_sql_str(touch_csv)} ({csv_options})
        """
    )
    connection.execute(
        f"""
        copy (
            select
                {campaign_ids}[campaign + 1] as campaign_id,
                cast(customer_id as varchar) as user_id,
                {channels}[channel + 1] as source,
                {campaign_ids}[campaign + 1] || '_ad' || cast(ad as varchar) as ad_id,
                strftime({epoch} + to_seconds(seconds), '%Y-%m-%dT%H:%M:%SZ') as "timestamp"
            from touches
            where {click_stream}
        ) to {_sql_str(click_jsonl)} (format json)
        """
    )
    connection.unregister("touches")
    connection.register("spend_rows", spend)
    connection.execute(
        f"""
        copy (
            select
                date {_sql_str(str(first_day))} + cast(day as integer) as date,
                {channel_of_campaign}[campaign + 1] as channel,
                {campaign_ids}[campaign + 1] as campaign_id,
                {campaign_names}[campaign + 1] as campaign_name,
                impressions,
                clicks,
                conversions,
                cast(cents / 100 as decimal(18, 2)) as spend
            from spend_rows
        ) to {_sql_str(spend_csv)} ({csv_options})
        """
    )
    connection.unregister("spend_rows")
    return [spend_csv, touch_csv, click_jsonl]
