"""Seeded, deterministic generator of raw sales data (one row per order).

Shape: a buy-till-you-die (BG/NBD-like) process per customer, simulated vectorised in numpy.

* Customers are acquired (make their first purchase) over ``[start, end]`` with a seasonal intensity:
  monthly weights (busy November/December) times a weekly pattern.
* Each customer has a purchase rate ``lambda ~ Gamma(shape, scale)`` (per year) and a drop-out probability
  ``p ~ Beta(a, b)``: after every purchase the customer silently drops out with probability ``p``.
  While alive, purchases follow a Poisson process (exponential inter-purchase times) in *seasonal time*:
  calendar time warped by the same seasonal intensity, so repeat purchases are seasonal as well.
  Purchases after ``end`` are cut.
* Order values are lognormal with a customer-level log-mean (a customer's orders are correlated):
  mean order about $170, long right tail, floored at $1.00.

Scale: customers are simulated in chunks, each seeded from ``(seed, chunk index)`` through
``np.random.SeedSequence(seed, spawn_key=(chunk,))`` (identical to ``SeedSequence(seed).spawn(...)[chunk]``).
Chunks are generated until ``n_orders`` orders exist; the last chunk is trimmed to exactly ``n_orders``
by keeping its first customers (and a chronological prefix of the boundary customer's orders).
Orders are routed into day-range blocks (spilled to temporary files when the output is large), and each
block is sorted by (date, time of day) and written with DuckDB ``COPY ... TO``. Memory is therefore
bounded by one chunk plus one block, whatever ``n_orders`` is. The output is byte-for-byte deterministic
for a given ``(n_orders, seed, start, end)``.

Raw file contract: header ``Unnamed: 0,Date,Customer ID,Order ID,Sales``; ``Unnamed: 0`` is the 0..N-1 row
index, ``Date`` ISO, ``Order ID`` unique and increasing with (date, time of day), ``Sales`` with 2 decimals.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

HEADER: tuple[str, ...] = ("Unnamed: 0", "Date", "Customer ID", "Order ID", "Sales")
DEFAULT_SEED = 42
#: The bundled sample's range (two years, so a customer can be a year without an order: Lost, Win-Back).
DEFAULT_START = "2021-01-01"
DEFAULT_END = "2022-12-31"
DEFAULT_SAMPLE_PATH = "data/sample/sales.csv"

# --- Tuned process parameters ---------------------------------------------------------------------------
# Tuned so that 40,000 orders over 2021-2022 (default seed) give ~30,500 customers, ~81% one-time buyers and
# ~$6.8M revenue (see tests/test_generate.py for the accepted ranges); over one year (the benchmark's inputs)
# the same 40,000 orders give ~33,000 customers and ~85% one-time buyers.

#: Purchase rate lambda ~ Gamma(shape, scale), in purchases per year while alive. Shape < 1 = heterogeneous
#: customers: most buy rarely, a few buy often. Mean rate = shape * scale = 2.1 / year.
PURCHASE_RATE_SHAPE = 0.75
PURCHASE_RATE_SCALE = 2.8
#: Drop-out probability after each purchase, p ~ Beta(a, b); mean a / (a + b) = 2/3, so most customers
#: never come back (together with late acquisition and slow rates: ~85% one-time buyers within the year).
DROPOUT_BETA_A = 2.0
DROPOUT_BETA_B = 1.0
#: Order value: log(value) = customer log-mean + order noise; customer log-mean ~ N(log median, sd).
#: Mean order = exp(log median + (sd_customer^2 + sd_order^2) / 2) = 96.6 * exp(0.565) = ~$170.
ORDER_VALUE_MEDIAN = 96.6
ORDER_VALUE_CUSTOMER_LOG_SD = 0.70
ORDER_VALUE_ORDER_LOG_SD = 0.80
#: Smallest order value, in dollars (values below are floored).
MIN_ORDER_VALUE = 1.00
#: Seasonal intensity of purchasing (acquisition and repeat purchases), January..December.
MONTH_WEIGHTS: tuple[float, ...] = (0.85, 0.80, 0.90, 0.90, 0.95, 0.90, 0.88, 0.92, 0.95, 1.05, 1.45, 1.60)
#: Weekly pattern, Monday..Sunday.
WEEKDAY_WEIGHTS: tuple[float, ...] = (1.08, 1.04, 1.00, 0.98, 0.96, 0.92, 1.02)
#: Days per year of the time unit that PURCHASE_RATE_* refer to.
DAYS_PER_YEAR = 365.25

# --- Ids --------------------------------------------------------------------------------------------------
#: First Order ID; Order ID = ORDER_ID_START + row index (so ids increase with date and time of day).
ORDER_ID_START = 1_000_001
#: Customer IDs are a keyed pseudo-random permutation of the customer number onto d-digit integers
#: [10^(d-1), 10^d), d >= CUSTOMER_ID_MIN_DIGITS and the id space >= CUSTOMER_ID_SPARSITY * n_orders,
#: so ids stay unique (and look random) at any scale: 6 digits for 40k orders, 8 for 10M, 9 for 100M.
CUSTOMER_ID_MIN_DIGITS = 6
CUSTOMER_ID_SPARSITY = 4

# --- Chunking ---------------------------------------------------------------------------------------------
#: Rough orders per customer for a one-year window at the default parameters (more over two years); sizes
#: the customer chunks so that small targets need a single chunk (customers per chunk track n_orders,
#: capped below).
EXPECTED_ORDERS_PER_CUSTOMER = 1.21
CHUNK_OVERSHOOT = 1.05
MAX_CHUNK_CUSTOMERS = 250_000
#: Orders per sorted output block (day range); bounds memory of the sort/write step.
BLOCK_ROWS = 4_000_000
#: Above this many orders, pass-1 data are spilled to temporary files instead of kept in memory.
MAX_IN_MEMORY_ROWS = 20_000_000

_SPILL_DTYPE = np.dtype([("key", "<u8"), ("cust", "<i8"), ("cents", "<i8")])
_FRAC_BITS = 32


@dataclass(frozen=True)
class Params:
    """Process parameters (defaults are the tuned constants above)."""

    rate_shape: float = PURCHASE_RATE_SHAPE
    rate_scale: float = PURCHASE_RATE_SCALE
    dropout_a: float = DROPOUT_BETA_A
    dropout_b: float = DROPOUT_BETA_B
    value_median: float = ORDER_VALUE_MEDIAN
    value_customer_log_sd: float = ORDER_VALUE_CUSTOMER_LOG_SD
    value_order_log_sd: float = ORDER_VALUE_ORDER_LOG_SD
    min_value: float = MIN_ORDER_VALUE


@dataclass(frozen=True)
class SalesBlock:
    """A run of consecutive output rows (sorted by date, then order id)."""

    row: np.ndarray  # int64, the "Unnamed: 0" row index
    day: np.ndarray  # int32, days since ``start``
    customer_id: np.ndarray  # int64
    order_id: np.ndarray  # int64
    cents: np.ndarray  # int64, Sales * 100
    start: np.datetime64  # datetime64[D] of day 0

    def __len__(self) -> int:
        return len(self.row)

    @property
    def date(self) -> np.ndarray:
        return self.start + self.day.astype("timedelta64[D]")

    @property
    def sales(self) -> np.ndarray:
        return self.cents / 100.0

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "Unnamed: 0": self.row,
                "Date": self.date,
                "Customer ID": self.customer_id,
                "Order ID": self.order_id,
                "Sales": self.sales,
            }
        )


class _Calendar:
    """Maps seasonal time (years, uniform purchase intensity) to (day index, fraction of day)."""

    def __init__(self, start: np.datetime64, end: np.datetime64) -> None:
        days = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
        if len(days) == 0:
            raise ValueError(f"empty date range {start}..{end}")
        months = days.astype("datetime64[M]").astype(np.int64) % 12
        weekdays = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
        weights = np.asarray(MONTH_WEIGHTS)[months] * np.asarray(WEEKDAY_WEIGHTS)[weekdays]
        self.start = start
        self.n_days = len(days)
        self.day_length = weights / weights.mean() / DAYS_PER_YEAR  # seasonal years per calendar day
        self.cum = np.concatenate(([0.0], np.cumsum(self.day_length)))
        self.horizon = float(self.cum[-1])

    def keys(self, u: np.ndarray) -> np.ndarray:
        """Sort keys ``day << 32 | fraction of day`` (uint64) for seasonal times ``u`` in [0, horizon)."""
        day = np.searchsorted(self.cum, u, side="right") - 1
        np.clip(day, 0, self.n_days - 1, out=day)
        frac = (u - self.cum[day]) / self.day_length[day]
        scaled = np.clip(frac * 2.0**_FRAC_BITS, 0, 2.0**_FRAC_BITS - 1).astype(np.uint64)
        return (day.astype(np.uint64) << np.uint64(_FRAC_BITS)) | scaled

    def block_bounds(self, n_blocks: int) -> np.ndarray:
        """Day indices splitting the range into ``n_blocks`` blocks of about equal expected volume."""
        n_blocks = max(1, min(n_blocks, self.n_days))
        cuts = np.searchsorted(self.cum / self.horizon, np.linspace(0, 1, n_blocks + 1)[1:-1])
        bounds = np.unique(np.concatenate(([0], np.clip(cuts, 1, self.n_days - 1), [self.n_days])))
        return bounds.astype(np.int64)


def _simulate_chunk(
    rng: np.random.Generator, n_customers: int, horizon: float, params: Params
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n_customers`` customers acquired uniformly in seasonal time [0, horizon).

    Returns (seasonal time, customer number within chunk, cents, orders per customer); the order arrays
    are customer-contiguous, each customer's orders in chronological order.
    """
    u0 = rng.random(n_customers) * horizon  # acquisition = first purchase
    lam = rng.gamma(params.rate_shape, params.rate_scale, n_customers)
    p = np.clip(rng.beta(params.dropout_a, params.dropout_b, n_customers), 1e-12, 1.0)
    lifetime_orders = rng.geometric(p)  # >= 1 purchases before silently dropping out
    remaining = horizon - u0
    events = rng.poisson(lam * remaining)  # Poisson purchase opportunities left in the window
    repeats = np.minimum(lifetime_orders - 1, events)

    # Times of the first `repeats` of `events` uniform points in (u0, horizon], via exponential spacings:
    # U_(i) = S_i / S_(events + 1) with S the cumulative sums of standard exponentials.
    n_rep = int(repeats.sum())
    rep_end = np.cumsum(repeats)
    rep_start = rep_end - repeats
    owner = np.repeat(np.arange(n_customers), repeats)
    cs = np.cumsum(rng.standard_exponential(n_rep))
    base = np.concatenate(([0.0], cs))[rep_start]
    has = repeats > 0
    total = np.zeros(n_customers)
    total[has] = cs[rep_end[has] - 1] - base[has] + rng.standard_gamma((events - repeats + 1)[has])
    rep_u = u0[owner] + remaining[owner] * (cs - base[owner]) / total[owner]

    n_orders = repeats + 1
    starts = np.cumsum(n_orders) - n_orders
    u = np.empty(n_customers + n_rep)
    u[starts] = u0
    u[np.repeat(starts + 1 - rep_start, repeats) + np.arange(n_rep)] = rep_u
    np.minimum(u, np.nextafter(horizon, 0), out=u)
    cust = np.repeat(np.arange(n_customers), n_orders)

    log_mean = rng.normal(math.log(params.value_median), params.value_customer_log_sd, n_customers)
    log_value = log_mean[cust] + params.value_order_log_sd * rng.standard_normal(len(u))
    cents = np.maximum(np.rint(np.exp(log_value) * 100.0), round(params.min_value * 100)).astype(np.int64)
    return u, cust, cents, n_orders


def _id_digits(n_orders: int) -> int:
    digits = CUSTOMER_ID_MIN_DIGITS
    while 9 * 10 ** (digits - 1) < CUSTOMER_ID_SPARSITY * max(n_orders, 1):
        digits += 1
    return digits


class _CustomerIds:
    """Keyed bijection of customer numbers [0, 9*10^(d-1)) onto d-digit ids (Feistel + cycle walking)."""

    _ROUNDS = 4

    def __init__(self, digits: int, seed: int) -> None:
        self.low = 10 ** (digits - 1)
        self.space = 9 * self.low
        self.half = (int(self.space - 1).bit_length() + 1) // 2
        self.mask = np.uint64((1 << self.half) - 1)
        self.keys = np.random.SeedSequence([seed, 0x1D5]).generate_state(self._ROUNDS, np.uint64)

    def _round(self, x: np.ndarray, key: np.uint64) -> np.ndarray:
        h = (x + key) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
        return h & self.mask

    def _permute(self, x: np.ndarray) -> np.ndarray:
        shift = np.uint64(self.half)
        left, right = x >> shift, x & self.mask
        for key in self.keys:
            left, right = right, left ^ self._round(right, key)
        return (left << shift) | right

    def __call__(self, number: np.ndarray) -> np.ndarray:
        if len(number) and int(number.max()) >= self.space:
            raise ValueError("customer id space exhausted")
        x = self._permute(number.astype(np.uint64))
        bad = np.flatnonzero(x >= self.space)
        while len(bad):  # cycle walking keeps the permutation inside [0, space)
            x[bad] = self._permute(x[bad])
            bad = bad[x[bad] >= self.space]
        return x.astype(np.int64) + self.low


class SalesStream:
    """Iterable of :class:`SalesBlock` (in output order) for one generation run.

    Generation (pass 1: simulate customer chunks, route orders into day blocks) runs on first iteration;
    ``n_customers`` is known after that. Iterate only once.
    """

    def __init__(
        self,
        n_orders: int,
        seed: int = DEFAULT_SEED,
        start: str | np.datetime64 = DEFAULT_START,
        end: str | np.datetime64 = DEFAULT_END,
        *,
        params: Params | None = None,
        block_rows: int = BLOCK_ROWS,
        max_in_memory_rows: int = MAX_IN_MEMORY_ROWS,
        tmp_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if n_orders < 0:
            raise ValueError("n_orders must be >= 0")
        self.n_orders = int(n_orders)
        self.seed = int(seed)
        self.start = np.datetime64(start, "D")
        self.end = np.datetime64(end, "D")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        self.params = params or Params()
        self.calendar = _Calendar(self.start, self.end)
        self.bounds = self.calendar.block_bounds(math.ceil(self.n_orders / max(block_rows, 1)))
        self.spill = self.n_orders > max_in_memory_rows
        self.tmp_dir = tmp_dir
        self.n_customers: int | None = None
        self.n_chunks: int | None = None
        self._used = False

    @property
    def chunk_customers(self) -> int:
        wanted = math.ceil(self.n_orders * CHUNK_OVERSHOOT / EXPECTED_ORDERS_PER_CUSTOMER)
        return max(1, min(MAX_CHUNK_CUSTOMERS, wanted))

    def _chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield (sort key, customer id, cents) per chunk until exactly n_orders orders were produced."""
        ids = _CustomerIds(_id_digits(self.n_orders), self.seed)
        produced = customers = chunk = 0
        while produced < self.n_orders:
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(chunk,)))
            u, cust, cents, per_customer = _simulate_chunk(
                rng, self.chunk_customers, self.calendar.horizon, self.params
            )
            keep = min(len(u), self.n_orders - produced)
            kept_customers = int(np.searchsorted(np.cumsum(per_customer) - per_customer, keep, "left"))
            yield self.calendar.keys(u[:keep]), ids(cust[:keep] + customers), cents[:keep]
            produced += keep
            customers += kept_customers
            chunk += 1
        self.n_customers = customers
        self.n_chunks = chunk

    def __iter__(self) -> Iterator[SalesBlock]:
        if self._used:
            raise RuntimeError("a SalesStream can be iterated only once")
        self._used = True
        n_blocks = len(self.bounds) - 1
        block_of_day = np.repeat(np.arange(n_blocks), np.diff(self.bounds))
        spill_dir = tempfile.mkdtemp(prefix="salesdw-gen-", dir=self.tmp_dir) if self.spill else None
        try:
            parts: list[list[np.ndarray]] = [[] for _ in range(n_blocks)]
            for key, cust, cents in self._chunks():
                rec = np.empty(len(key), _SPILL_DTYPE)
                rec["key"], rec["cust"], rec["cents"] = key, cust, cents
                if n_blocks > 1:
                    blk = block_of_day[(key >> np.uint64(_FRAC_BITS)).astype(np.int64)]
                    rec = rec[np.argsort(blk, kind="stable")]
                    pieces = np.split(rec, np.cumsum(np.bincount(blk, minlength=n_blocks))[:-1])
                else:
                    pieces = [rec]
                for b, piece in enumerate(pieces):
                    if spill_dir is None:
                        parts[b].append(piece)
                    elif len(piece):
                        with open(os.path.join(spill_dir, f"block{b}.bin"), "ab") as fh:
                            piece.tofile(fh)
            offset = 0
            for b in range(n_blocks):
                if spill_dir is None:
                    rec = np.concatenate(parts[b]) if parts[b] else np.empty(0, _SPILL_DTYPE)
                    parts[b] = []
                else:
                    path = os.path.join(spill_dir, f"block{b}.bin")
                    rec = np.empty(0, _SPILL_DTYPE)
                    if os.path.exists(path):
                        rec = np.fromfile(path, _SPILL_DTYPE)
                        os.remove(path)
                order = np.argsort(rec["key"], kind="stable")
                row = np.arange(offset, offset + len(rec), dtype=np.int64)
                offset += len(rec)
                yield SalesBlock(
                    row=row,
                    day=(rec["key"][order] >> np.uint64(_FRAC_BITS)).astype(np.int32),
                    customer_id=rec["cust"][order],
                    order_id=row + ORDER_ID_START,
                    cents=rec["cents"][order],
                    start=self.start,
                )
                del rec, order
        finally:
            if spill_dir is not None:
                shutil.rmtree(spill_dir, ignore_errors=True)


def generate_sales(
    n_orders: int,
    seed: int = DEFAULT_SEED,
    start: str | np.datetime64 = DEFAULT_START,
    end: str | np.datetime64 = DEFAULT_END,
    **kwargs: object,
) -> SalesStream:
    """Stream exactly ``n_orders`` orders in ``[start, end]`` as :class:`SalesBlock` s (date, order id order).

    Deterministic for given arguments. ``kwargs`` go to :class:`SalesStream` (``params``, ``block_rows``,
    ``max_in_memory_rows``, ``tmp_dir``).
    """
    return SalesStream(n_orders, seed, start, end, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class WriteResult:
    rows: int
    customers: int
    seconds: float
    paths: list[Path]


def _sql_str(value: str | os.PathLike[str]) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _copy_block(con: duckdb.DuckDBPyConnection, block: SalesBlock, path: Path, header: bool) -> None:
    con.register(
        "_sales_block",
        {"r": block.row, "d": block.day, "c": block.customer_id, "o": block.order_id, "s": block.cents},
    )
    con.execute(
        f"""COPY (SELECT r AS "Unnamed: 0", DATE {_sql_str(str(block.start))} + d AS "Date",
                   c AS "Customer ID", o AS "Order ID",
                   CAST(CAST(s AS DOUBLE) / 100 AS DECIMAL(18, 2)) AS "Sales"
                 FROM _sales_block)
            TO {_sql_str(path)} (FORMAT csv, HEADER {str(header).lower()}, DELIMITER ',', QUOTE '"',
                                NEW_LINE '\\n')"""
    )
    con.unregister("_sales_block")


def write_sales_csv(
    path: str | os.PathLike[str] | None,
    n_orders: int,
    seed: int = DEFAULT_SEED,
    start: str | np.datetime64 = DEFAULT_START,
    end: str | np.datetime64 = DEFAULT_END,
    *,
    daily_dir: str | os.PathLike[str] | None = None,
    **kwargs: object,
) -> WriteResult:
    """Generate ``n_orders`` orders and write them as CSV.

    Either to one file ``path``, or (``daily_dir``) one ``sales_YYYY-MM-DD.csv`` per day of the range, each
    with the header and its own 0..n-1 ``Unnamed: 0`` index (Order IDs stay global; days without orders get
    a header-only file). Returns rows, customers, seconds and the written paths.
    """
    import duckdb

    if (path is None) == (daily_dir is None):
        raise ValueError("give exactly one of path and daily_dir")
    t0 = time.perf_counter()
    stream = generate_sales(n_orders, seed, start, end, **kwargs)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    paths: list[Path] = []
    try:
        if daily_dir is not None:
            out_dir = Path(daily_dir)
            out_dir.mkdir(parents=True, exist_ok=True)
            for b, block in enumerate(stream):
                days = np.arange(stream.bounds[b], stream.bounds[b + 1])
                cuts = [*np.searchsorted(block.day, days, "left").tolist(), len(block)]
                for i, day in enumerate(days.tolist()):
                    lo, hi = cuts[i], cuts[i + 1]
                    part = SalesBlock(
                        row=np.arange(hi - lo, dtype=np.int64),  # each daily file has its own 0..n-1 index
                        day=block.day[lo:hi],
                        customer_id=block.customer_id[lo:hi],
                        order_id=block.order_id[lo:hi],
                        cents=block.cents[lo:hi],
                        start=block.start,
                    )
                    target = out_dir / f"sales_{block.start + np.timedelta64(day, 'D')}.csv"
                    _copy_block(con, part, target, header=True)
                    paths.append(target)
        else:
            out = Path(path)  # type: ignore[arg-type]
            out.parent.mkdir(parents=True, exist_ok=True)
            if len(stream.bounds) == 2:  # a single block: write it directly
                for block in stream:
                    _copy_block(con, block, out, header=True)
            else:
                part_path = out.with_name(f".{out.name}.part")
                with open(out, "wb") as fh:
                    fh.write((",".join(HEADER) + "\n").encode())
                    for block in stream:
                        _copy_block(con, block, part_path, header=False)
                        with open(part_path, "rb") as part:
                            shutil.copyfileobj(part, fh, 16 << 20)
                part_path.unlink(missing_ok=True)
            paths.append(out)
    finally:
        con.close()
    assert stream.n_customers is not None
    return WriteResult(stream.n_orders, stream.n_customers, time.perf_counter() - t0, paths)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Generate deterministic sample sales data (CSV).")
    parser.add_argument("--orders", type=int, default=40_000, help="exact number of orders (rows)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", default=DEFAULT_START, help="first date, ISO (default %(default)s)")
    parser.add_argument("--end", default=DEFAULT_END, help="last date, ISO (default %(default)s)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--out", default=DEFAULT_SAMPLE_PATH, help="output CSV file (default %(default)s)")
    target.add_argument("--daily-dir", help="write one sales_YYYY-MM-DD.csv per day into this directory")
    parser.add_argument("--tmp-dir", help="directory for spill files of very large runs")
    parser.add_argument(
        "--marketing-dir",
        help="also write marketing files consistent with the orders into this directory (ad_spend.csv, "
        "touchpoints.csv, touchpoints_clicks.jsonl; see salesdw/sample/marketing.py)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = write_sales_csv(
        None if args.daily_dir else args.out,
        args.orders,
        args.seed,
        args.start,
        args.end,
        daily_dir=args.daily_dir,
        tmp_dir=args.tmp_dir,
    )
    where = args.daily_dir if args.daily_dir else args.out
    print(f"rows={result.rows} customers={result.customers} seconds={result.seconds:.2f} out={where}")
    if args.marketing_dir:
        from salesdw.sample.marketing import write_marketing_files

        sales = str(Path(args.daily_dir) / "sales_*.csv") if args.daily_dir else args.out
        made = write_marketing_files(sales, args.marketing_dir, args.seed, args.start, args.end)
        print(
            f"touchpoints={made.touchpoints} spend_rows={made.spend_rows} prospects={made.prospects} "
            f"seconds={made.seconds:.2f} out={args.marketing_dir}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
