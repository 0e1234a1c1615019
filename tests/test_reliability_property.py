"""Property: whatever rows an export holds, the build succeeds and every raw row is accounted for
(raw = clean + rejected + collapsed duplicates), with the raw count taken independently by Python's csv."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.test_reliability_support import HEADER, build

# Garbage: any printable text (letters of every script, quotes, commas, symbols); no control characters.
GARBAGE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")), max_size=12)
ODD_DATES = st.sampled_from(
    ["2021-02-30", "1900-01-01", "2101-01-01", "05/01/2021", "2021-1-5", "2021-03-15 10:00:00", "", "  "]
)
ODD_AMOUNTS = st.sampled_from(
    ["1e15", "-5", "0", "0.001", "$1,234.50", "12,50", "nan", "inf", "€ 99", "1,2,3", '"7"', ""]
)
# A placeholder the file writer turns into a byte that is not valid UTF-8.
BAD_BYTE = "\ufffe"


@st.composite
def rows(draw: st.DrawFn, first_id: int = 1000) -> list[list[str]]:
    """A clean base of orders (ids from first_id) with random corruptions applied row by row."""
    count = draw(st.integers(min_value=1, max_value=25))
    base = [
        [
            str(i),
            f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
            str(100 + i % 7),
            str(first_id + i),
            f"{5 + i}.50",
        ]
        for i in range(count)
    ]
    out: list[list[str]] = []
    for row in base:
        kind = draw(
            st.sampled_from(
                ["keep", "keep", "garbage", "empty", "duplicate", "conflict", "date", "amount", "bad_byte"]
            )
        )
        column = draw(st.integers(min_value=1, max_value=4))
        row = list(row)
        if kind == "garbage":
            row[column] = draw(GARBAGE)
        elif kind == "empty":
            row[column] = ""
        elif kind == "date":
            row[1] = draw(ODD_DATES)
        elif kind == "amount":
            row[4] = draw(ODD_AMOUNTS)
        elif kind == "bad_byte":
            row[column] = row[column][:1] + BAD_BYTE + row[column][1:]
        out.append(row)
        if kind == "duplicate":
            out.append(list(row))
        elif kind == "conflict":
            out.append([*row[:4], "999.99"])  # same order id, another amount
    return out


def write_export(path: Path, data: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    writer.writerows(data)
    # 0xff is invalid in UTF-8 and undefined in no single-byte code page; 0x81 is undefined in cp1252.
    raw = text.getvalue().encode("utf-8").replace(BAD_BYTE.encode("utf-8"), b"\xff\x81\x93")
    path.write_bytes(raw)


def python_row_count(path: Path) -> int:
    """Independent of DuckDB: Python's csv module over the file (latin-1 decodes any byte)."""
    with path.open(newline="", encoding="latin-1") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


# Each example is one dbt build (seconds) of a folder of 1-4 corrupted files: few examples, and no
# shrinking (it would run dozens more builds); a failure still prints its example.
@settings(
    max_examples=3,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_every_raw_row_is_accounted_for(data: st.DataObject) -> None:
    file_count = data.draw(st.integers(min_value=1, max_value=4), label="files")
    # Disjoint order ids per file: each file's rows can be counted on their own.
    exports = [data.draw(rows(first_id=1000 * (k + 1)), label=f"sales_{k}.csv") for k in range(file_count)]
    with tempfile.TemporaryDirectory() as folder:
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        expected = {}
        for k, export in enumerate(exports):
            path = inbox / f"sales_{k}.csv"
            write_export(path, export)
            expected[path.name] = python_row_count(path)
            assert expected[path.name] == len(export)
        # Random rows may be all bad: the staging gate (tested in test_own_data.py) is left out here.
        run = build(
            inbox, Path(folder) / "data", staging_only=True, extra=["--exclude", "input_makes_a_warehouse"]
        )
        assert run.exit_code == 0, run.output
        per_file = run.query(
            "select source_file, count(*) as n, count(*) filter (where row_outcome = 'clean') as clean "
            "from stg_sales__validated group by source_file"
        )
        assert {
            Path(name).name: n for name, n in zip(per_file.source_file, per_file.n, strict=True)
        } == expected
        raw_rows = sum(expected.values())
        counts = run.query("select * from stg_sales_reconciliation").iloc[0]
        clean = run.query("select count(*) as n from stg_sales").n[0]
        rejected = run.query("select count(*) as n from stg_sales_rejected").n[0]
        assert counts.raw_row_count == raw_rows
        assert (counts.clean_row_count, counts.rejected_row_count) == (clean, rejected)
        assert per_file.clean.sum() == clean
        assert clean + rejected + counts.collapsed_duplicate_count == raw_rows
        assert counts.is_reconciled
