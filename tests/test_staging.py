"""Staging on the bad-row fixture: every raw row is accounted for, with the right reason. And the parsing
macros' shortcuts give the result of the rules they shortcut."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import duckdb
import pytest

from salesdw.paths import PROJECT_ROOT
from salesdw.pipeline.dbt_invoke import (
    environment,
    invocation_error,
    release_duckdb,
    skip_unused_imports,
)
from tests.helpers import BuildRun

FIXTURE = Path(__file__).parent / "fixtures" / "bad_rows.csv"

# The outcome each fixture row must get, by its `Unnamed: 0` index (the fixture's specification).
EXPECTED_REJECTIONS = {
    7: "unparseable_date",  # 2021-02-30 is not a day
    8: "unparseable_date",  # 05/01/2021 is ambiguous
    9: "missing_date",
    10: "missing_customer_id",
    # 11 (customer "abc") and 13 (order "x12") are clean: ids are text (macros/ids.sql).
    12: "missing_order_id",
    14: "missing_amount",
    15: "invalid_amount",
    16: "negative_amount",
    17: "zero_amount",
    18: "amount_out_of_range",  # 1e15
    19: "date_out_of_range",  # 1900
    20: "conflicting_duplicate_order_id",
    21: "conflicting_duplicate_order_id",
    22: "invalid_amount",  # decimal comma
}
EXPECTED_COLLAPSED = {3}  # an exact copy of row 2


def _raw_row_count() -> int:
    with FIXTURE.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_build_succeeds(bad_rows_build: BuildRun) -> None:
    assert bad_rows_build.exit_code == 0, bad_rows_build.output


def test_every_raw_row_is_clean_rejected_or_collapsed(bad_rows_build: BuildRun) -> None:
    counts = bad_rows_build.query("select * from stg_sales_reconciliation").iloc[0]
    raw_rows = _raw_row_count()
    assert counts.raw_row_count == raw_rows == 25
    assert counts.rejected_row_count == len(EXPECTED_REJECTIONS)
    assert counts.collapsed_duplicate_count == len(EXPECTED_COLLAPSED)
    assert counts.clean_row_count == raw_rows - len(EXPECTED_REJECTIONS) - len(EXPECTED_COLLAPSED)
    assert counts.is_reconciled
    clean = bad_rows_build.query("select count(*) as n from stg_sales").n[0]
    rejected = bad_rows_build.query("select count(*) as n from stg_sales_rejected").n[0]
    assert clean + rejected + counts.collapsed_duplicate_count == raw_rows


def test_each_bad_row_has_its_reason(bad_rows_build: BuildRun) -> None:
    rejected = bad_rows_build.query(
        "select source_row_index, rejection_reason, rejection_description from stg_sales_rejected"
    )
    assert dict(zip(rejected.source_row_index, rejected.rejection_reason, strict=True)) == EXPECTED_REJECTIONS
    assert rejected.rejection_description.str.len().min() > 10


def test_rejected_rows_keep_the_raw_text(bad_rows_build: BuildRun) -> None:
    row = bad_rows_build.query(
        "select raw_date, raw_order_id, raw_sales from stg_sales_rejected where source_row_index = 22"
    ).iloc[0]
    assert (row.raw_date, row.raw_order_id, row.raw_sales) == ("2021-04-03", "1021", "12,50")


def test_accepted_formats_are_parsed(bad_rows_build: BuildRun) -> None:
    clean = bad_rows_build.query(
        "select order_id, customer_id, order_date::varchar as order_date, amount::double as amount "
        "from stg_sales order by order_id"
    ).set_index("order_id")
    assert clean.loc["1003"].amount == 1200.00  # "$1,200.00"
    assert clean.loc["1005"].order_date == "2021-03-01"  # padded with spaces
    assert clean.loc["1005"].amount == 20.25
    assert clean.loc["1006"].order_date == "2021-03-15"  # "2021-03-15 00:00:00", id "1006.0"
    assert clean.loc["1022"].amount == 12.35  # rounded to cents
    assert clean.loc["1011"].customer_id == "abc"  # a text customer id
    assert clean.loc["x12"].customer_id == "107"  # a text order id
    assert set(clean.index) == {"1001", "1002", "1003", "1004", "1005", "1006", "1011", "x12", "1022", "1023"}


# The parsing macros' shortcuts: a first CASE branch (two for event times) that finds canonical text by a cast
# and its round trip, "only a shortcut, with the same result" (macros/parse_raw_values.sql,
# marketing_parsing.sql, ids.sql). Each macro is compiled by dbt for DuckDB and evaluated with and without
# its shortcut branches (the rest is the rule as it was before the shortcut) on texts chosen to trap a
# shortcut, on canonical texts and on generated ones: any difference fails. On canonical texts the shortcut
# must also be the branch taken, or it saves nothing. Texts are separated by '|' (spaces count; '||' is '').
SHORTCUTS = {
    # macro call: (shortcut branches, nasty texts, canonical texts, a query of generated texts and whether
    # each is canonical)
    "parse_iso_date('v')": (
        1,
        "2021-3-5|0999-1-1|10000-01-01|+2021-03-05|2021-03-05 | 2021-03-05|2021-02-30|2021-02-29|"
        "2021-03-05T10:00|2021-03-05 10:00:00+02|2021-03-05 00:00:00|-2021-03-05|2021-03-05Z|20210305|"
        "2021/03/05|05/03/2021||epoch|infinity|-infinity|0000-01-01|0001-01-01 (BC)|02021-03-05|"
        "2021-03-05 (BC)|2021-13-01|9999-12-31x",
        "2021-03-05|0999-01-01|0001-01-01|9999-12-31|2020-02-29|1900-01-01",
        "select cast(day::date as varchar), day between '0001-01-01' and '9999-12-31' from generate_series("
        "date '0002-01-01 (BC)', date '10001-01-01', interval 997 day) as days(day) "
        "union all select strftime(day, '%Y-%-m-%-d'), month(day) >= 10 and day(day) >= 10 "
        "from generate_series(date '1999-01-01', date '2001-12-31', interval 1 day) as days(day)",
    ),
    "parse_amount('v')": (
        1,
        "12.5|12|.50|-.50|-0.00|0.00|1,234.56|$12.50|12.50 \u20ac|\u20ac 12.50|1e3|1.5E-2|12.|0012.50|00.50|"
        "99999999999999999.99|-99999999999999999.99|inf|-inf|nan|infinity|+12.50| 12.50|12.50 |12.505|"
        "1_000.00|12,50|1.234,50|--12.50|-$12.50|$-12.50|0x10|12.50e0|",
        "12.50|0.50|-0.50|-12.50|1000000.00|9999999999999999.99|-9999999999999999.99|0.01|89.43",
        "select cast(cast(n / 100 as decimal(18, 2)) as varchar), true from range(-30011, 30011, 7) as r(n) "
        "union all select cast(n / 100 as varchar), false from range(-30011, 30011, 7) as r(n) "
        "union all select cast(cast(1.23456789e15 * n as decimal(18, 2)) as varchar), true "
        "from range(-8, 9) as r(n)",
    ),
    "parse_event_time('v')": (
        2,
        "2021-03-05|2021-03-05 14:02|2021-03-05T14:02|2021-03-05T14:02:11.250|2021-03-05 14:02:11.250000|"
        "2021-03-05 14:02:11.123456789|2021-03-05 14:02:11.1234567|2021-03-05 14:02Z|"
        "2021-03-05T14:02:11.250Z|2021-03-05T14:02:00z|2021-03-05 14:02:00+02:00|2021-03-05 14:02:00 +0200|"
        "2021-03-05 14:02:00 UTC|"
        "2021-03-05 24:00:00|2021-02-29 00:00:00|2021-03-05 14:02:60|2021-03-05 4:02:00|2021-3-5 14:02:00|"
        "2021-03-05  14:02:00| 2021-03-05 14:02:00|2021-03-05 14:02:00 |2021-03-05TT14:02:00Z|"
        "2021-03-05 14:02:00ZZ|10000-01-01 00:00:00|10000-01-01T00:00:00Z|0001-01-01 (BC) 00:00:00|"
        "0001-01-01 (BC)T00:00:00Z|-2021-03-05 14:02:00|infinity|-infinity|epoch||1614952920|"
        "05/03/2021 14:02",
        "2021-03-05 14:02:00|2021-03-05 14:02:11.25|2021-03-05 14:02:11.123456|0001-01-01 00:00:00|"
        "9999-12-31 23:59:59.999999|2021-03-05T14:02:11Z|2021-03-05T14:02:11.25Z|2021-03-05 14:02:11Z",
        "select cast(moment as varchar), true from generate_series(timestamp '0001-01-01', "
        "timestamp '9999-12-31', interval '2003 days 7 hours 11 minutes 13.013579 seconds') as m(moment) "
        "union all select replace(cast(moment as varchar), ' ', 'T') || 'Z', true from generate_series("
        "timestamp '2021-01-01', timestamp '2021-01-02', interval '1 minute 7.5 seconds') as moments(moment) "
        "union all select strftime(moment, '%Y-%m-%d %H:%M:%S.%f'), false from generate_series("
        "timestamp '2021-01-01', timestamp '2021-01-02', interval '1 minute 7.5 seconds') as moments(moment)",
    ),
    "canonical_id('v')": (
        1,
        "0012|12.0|12.00| 12|12 |+12|-0|-12|0|00|1e3|12.5|C-1001|9223372036854775807|9223372036854775808|"
        "-9223372036854775808|123456789012345678|1234567890123456789|| |" + "x" * 129,
        "12|1001|123456789012345678|-5|9223372036854775807",
        "select cast(n * 7919 as varchar), true from range(-1000, 1000) as r(n)",
    ),
    "id_key('v')": (
        1,
        "0012|-5|0|123456789012345678|1234567890123456789|9223372036854775807|C-1001|",
        "12|0|123456789012345678|999999999999999999",
        "select cast(n * 7919 as varchar), n >= 0 from range(-1000, 1000) as r(n)",
    ),
}


#: Compiled beside SHORTCUTS: the trim that copies only the values that need it.
TRIMMED_TEXT = "trimmed_text('v')"


def _without_branches(case: str, count: int) -> tuple[list[str], str]:
    """The first `count` WHEN conditions of a compiled CASE, and the CASE without those branches."""
    body = case.strip()
    assert body.startswith("case") and body.endswith("end"), case
    branches = re.split(r"\n\s*(?=when\s)", body[len("case") : -len("end")].strip())
    conditions = [re.match(r"when\s+(.*?)\s+then\s", branch, re.DOTALL) for branch in branches[:count]]
    return [match.group(1) for match in conditions if match], "case " + "\n".join(branches[count:]) + " end"


@pytest.fixture(scope="module")
def compiled_shortcuts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each macro call of SHORTCUTS, and TRIMMED_TEXT, compiled by dbt for DuckDB (one `dbt compile`)."""
    skip_unused_imports()
    from dbt.cli.main import dbtRunner

    work = tmp_path_factory.mktemp("shortcuts")
    calls = [*SHORTCUTS, TRIMMED_TEXT]
    inline = "select " + ", ".join(f"{{{{ {call} }}}} as c{index}" for index, call in enumerate(calls))
    command = ["--quiet", "--log-level", "none", "compile", "--inline", inline]
    command += ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    command += ["--target-path", os.environ.get("SALESDW_TARGET_DIR") or str(work / "target")]
    with environment({"SALESDW_DATA_DIR": str(work)}):
        try:
            result = dbtRunner().invoke(command)
        finally:
            release_duckdb()
    assert result.success, result.exception
    code = result.result.results[0].node.compiled_code
    pieces = re.split(r"\s+as c\d+(?:,\s*|\s*$)", code.strip()[len("select") :])
    return dict(zip(calls, [piece.strip() for piece in pieces[: len(calls)]], strict=True))


@pytest.mark.parametrize("call", list(SHORTCUTS))
def test_parsing_shortcuts_give_the_rules_result(call: str, compiled_shortcuts: dict[str, str]) -> None:
    shortcuts, nasty, canonical, generated = SHORTCUTS[call]
    new = compiled_shortcuts[call]
    conditions, old = _without_branches(new, shortcuts)
    assert len(conditions) == shortcuts and "regexp_full_match" in old
    assert not any("regexp" in condition for condition in conditions)
    taken = " or ".join(f"coalesce({condition}, false)" for condition in conditions)
    with duckdb.connect() as connection:
        connection.execute("create table texts (v varchar, is_canonical boolean)")
        rows = [(text, False) for text in nasty.split("|")] + [(text, True) for text in canonical.split("|")]
        connection.executemany("insert into texts values (?, ?)", rows)
        connection.execute(f"insert into texts {generated}")
        texts = connection.execute(f"""
            select v, cast(({new}) as varchar), cast(({old}) as varchar), ({taken}), is_canonical,
                ({new}) is not distinct from ({old})
            from texts
        """).fetchall()
    assert len(texts) > 150
    assert [(text, new_value, old_value) for text, new_value, old_value, *_, same in texts if not same] == []
    # The shortcut is what parses canonical text.
    assert [text for text, _, _, is_taken, is_canonical, _ in texts if is_canonical and not is_taken] == []
    assert sum(is_canonical for *_, is_canonical, _ in texts) > 100


def test_trimmed_text_is_nullif_trim_that_copies_only_values_with_an_edge_space(
    compiled_shortcuts: dict[str, str],
) -> None:
    """trimmed_text(x) (macros/raw_text.sql) gives nullif(trim(x), '') for every text, and trims (copies)
    only the values that start or end with a space or hold a non-ASCII character: DuckDB's trim() also
    removes Unicode spaces (a no-break space), not tabs or line breaks."""
    compiled = compiled_shortcuts[TRIMMED_TEXT]
    texts = ["", " ", "   ", "a", " a", "a ", "  a b  ", "a  b", "\ta\t", " \n ", "x" * 200, None]
    texts += ["\u00a0a", "a\u3000", "\u2009", "caf\u00e9", "e\u0301 ", "\u00a0e\u0301\u00a0"]
    texts += [" " * n + "id" + " " * m for n in range(3) for m in range(3)]
    with duckdb.connect() as connection:
        connection.execute("create table texts (v varchar)")
        connection.executemany("insert into texts values (?)", [(text,) for text in texts])
        rows = connection.execute(f"""
            select v, ({compiled}), nullif(trim(v), ''), ({compiled.split(" then ")[0].split("when ", 1)[1]})
            from texts
        """).fetchall()
    assert len(rows) == len(texts)
    assert [(v, new) for v, new, old, _ in rows if new != old and not (new is None and old is None)] == []
    assert [v for v, *_, trims in rows if trims] == [
        text for text in texts if text and (text.startswith(" ") or text.endswith(" ") or not text.isascii())
    ]
    assert ("\ta\t", "\ta\t") in [(v, new) for v, new, *_ in rows]
    assert ("\u00a0a", "a") in [(v, new) for v, new, *_ in rows]


@pytest.mark.parametrize(
    ("prefixes", "compiles"),
    [
        ('["C"]', True),
        ("[]", True),
        ('"C"', False),  # a text, not a list: "CN" would silently become C and N
        ('[""]', False),  # every order id would start with it
        ('["C\'"]', False),
        ("[5]", False),
    ],
)
def test_cancellation_prefixes_must_be_a_list_of_plain_texts(
    prefixes: str, compiles: bool, tmp_path: Path
) -> None:
    """The var cancellation_order_id_prefixes becomes a constant list in staging's SQL: anything else than
    a list of non-empty texts without quotes or backslashes stops the compile with a sentence naming the
    var and what it is."""
    skip_unused_imports()
    from dbt.cli.main import dbtRunner

    command = ["--quiet", "--log-level", "none", "compile"]
    command += ["--inline", "select {{ cancellation_prefixes() }}"]
    command += ["--vars", f"{{cancellation_order_id_prefixes: {prefixes}}}"]
    command += ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    command += ["--target-path", str(tmp_path / "target")]
    with environment({"SALESDW_DATA_DIR": str(tmp_path)}):
        try:
            result = dbtRunner().invoke(command)
        finally:
            release_duckdb()
    if compiles:
        assert result.success, result.exception
        expected = "['C']" if prefixes == '["C"]' else "[]"
        assert result.result.results[0].node.compiled_code == f"select cast({expected} as varchar[])"
    else:
        assert not result.success
        assert "The var cancellation_order_id_prefixes must be a list of non-empty texts" in str(
            result.exception
        )
        # What the runner prints after FAILED: dbt's header and the sentence, on one line.
        line = invocation_error(str(result.exception))
        assert line.startswith("Compilation Error in ")
        assert ": The var cancellation_order_id_prefixes must be a list of non-empty texts" in line
