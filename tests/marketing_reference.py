"""An independent pandas reading of the marketing fixture and the attribution rules of issue 13, written from
the rules (not from the SQL): which touches count, their order, each model's shares, and cents by rounding
the running total (DECISIONS.md). Rational shares are exact Fractions; time-decay weights are floats."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd

LOOKBACK_DAYS = 30
HALF_LIFE_DAYS = 7
MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
NONE = "(none)"


def canonical_id(text: object) -> str | None:
    """macros/ids.sql's rule, restated: integer-like ids lose leading zeros and a trailing .0."""
    if text is None:
        return None
    value = str(text).strip()
    if re.fullmatch(r"[0-9]{1,18}(\.0+)?", value):
        return str(int(value.split(".")[0]))
    return value if 1 <= len(value) <= 128 else None


def parse_time(text: str) -> datetime:
    """ISO date or timestamp; with an offset converted to UTC (naive), without one as written."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


def read_touches(directory: Path) -> pd.DataFrame:
    """The good touchpoint files (not *_bad.*), mapped to customer_id, event_time, channel, campaign_id,
    event_type, ad_id; exact duplicates dropped."""
    records: list[dict[str, object]] = []
    for path in sorted(directory.glob("touchpoints*.csv")):
        if "_bad" not in path.name:
            records += pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
    for path in sorted(directory.glob("touchpoints*.jsonl")):
        if "_bad" not in path.name:
            records += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = []
    for record in records:

        def first(*keys: str, record: dict[str, object] = record) -> str | None:
            return next((str(record[key]) for key in keys if not _blank(record.get(key))), None)

        event_type = first("event_type") or ("click" if first("user_id") else None)
        rows.append(
            {
                "customer_id": canonical_id(first("customer_id", "user_id")),
                "event_time": parse_time(first("event_time", "timestamp") or ""),
                "channel": (first("channel", "source") or "").strip().lower(),
                "campaign_id": (first("campaign_id") or NONE).strip(),
                "event_type": (event_type or "").strip().lower(),
                "ad_id": (first("ad_id") or "").strip(),
            }
        )
    touches = pd.DataFrame(rows).drop_duplicates().reset_index(drop=True)
    touches["touch_date"] = touches["event_time"].dt.normalize()
    return touches


def read_orders(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str)
    return pd.DataFrame(
        {
            "order_id": frame["Order ID"].astype(int),
            "customer_id": frame["Customer ID"].map(canonical_id),
            "order_date": pd.to_datetime(frame["Date"]),
            "amount_cents": [int(Decimal(value) * 100) for value in frame["Sales"]],
        }
    )


def shares(model: str, days_before: list[int]) -> list[Fraction | float]:
    """Each touch's share of the order, touches in order (days_before only matters for time_decay)."""
    n = len(days_before)
    if model == "first_touch":
        return [Fraction(1 if i == 0 else 0) for i in range(n)]
    if model == "last_touch":
        return [Fraction(1 if i == n - 1 else 0) for i in range(n)]
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "position_based":
        if n <= 2:
            return [Fraction(1, n)] * n
        middle = Fraction(1, 5) / (n - 2)
        return [Fraction(2, 5), *[middle] * (n - 2), Fraction(2, 5)]
    weights = [2.0 ** (-days / HALF_LIFE_DAYS) for days in days_before]
    return [weight / sum(weights) for weight in weights]


def cents(amount_cents: int, order_shares: list[Fraction | float]) -> list[int]:
    """Rounding the running total: floor(amount x S(p) + 1/2) - floor(amount x S(p - 1) + 1/2)."""
    through, running = [0], 0
    for share in order_shares:
        running += share
        half = Fraction(1, 2) if isinstance(running, Fraction) else 0.5
        through.append(math.floor(amount_cents * running + half))
    return [through[i + 1] - through[i] for i in range(len(order_shares))]


@dataclass(frozen=True)
class Attribution:
    credits: pd.DataFrame  # order_id, model, position, channel, campaign_id, touch_date, share, cents

    def channel_totals(self, model: str) -> dict[str, int]:
        """Credited cents per channel under `model`."""
        rows = self.credits[self.credits["model"] == model]
        return {channel: int(total) for channel, total in rows.groupby("channel")["cents"].sum().items()}


def attribute(orders: pd.DataFrame, touches: pd.DataFrame) -> Attribution:
    rows = []
    for order in orders.itertuples():
        start = order.order_date - pd.Timedelta(days=LOOKBACK_DAYS)
        mine = touches[
            (touches["customer_id"] == order.customer_id)
            & (touches["touch_date"] >= start)
            & (touches["touch_date"] <= order.order_date)
        ].sort_values(["event_time", "channel", "campaign_id", "event_type", "ad_id"])
        if mine.empty:
            for model in MODELS:
                rows.append((order.order_id, model, 1, NONE, NONE, order.order_date, 1.0, order.amount_cents))
            continue
        days = [(order.order_date - day).days for day in mine["touch_date"]]
        for model in MODELS:
            order_shares = shares(model, days)
            for position, (touch, share, credit) in enumerate(
                zip(mine.itertuples(), order_shares, cents(order.amount_cents, order_shares), strict=True),
                start=1,
            ):
                rows.append(
                    (
                        order.order_id,
                        model,
                        position,
                        touch.channel,
                        touch.campaign_id,
                        touch.touch_date,
                        float(share),
                        credit,
                    )
                )
    columns = ["order_id", "model", "position", "channel", "campaign_id", "touch_date", "share", "cents"]
    return Attribution(pd.DataFrame(rows, columns=columns))
