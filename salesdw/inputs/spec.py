"""The input spec: how to read a sales export whose columns, formats or grain differ from the default.

A YAML file (README, "Your own data") checked here, before dbt starts, so a mistake is one line naming the
key. dbt reads the same keys from the SALESDW_INPUT_SPEC environment variable (macros/input_spec.sql),
which the runner fills with the validated spec as JSON, the sniffed CSV delimiter included. The parsing
rules themselves live in the dbt macros only; nothing here parses a value.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from salesdw.inputs.errors import InputError

FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl")
GRAINS: tuple[str, ...] = ("orders", "lines")
SPEC_KEYS: tuple[str, ...] = (
    "format",
    "delimiter",
    "header",
    "date_format",
    "decimal_separator",
    "rows",
    "has_returns",
    "columns",
)
# Canonical column -> what it is (the order is the order of the README's table).
COLUMN_KEYS: dict[str, str] = {
    "customer_id": "the customer (required)",
    "order_date": "the order date (required)",
    "amount": "the amount (or quantity and unit_price)",
    "order_id": "the order or invoice id (optional: without it every row is its own order)",
    "quantity": "the quantity of a line (with unit_price)",
    "unit_price": "the unit price of a line (with quantity)",
    "row_index": "a column numbering the rows, kept to trace rows back (optional)",
}
REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "order_date")
DEFAULT_COLUMNS: dict[str, str] = {
    "row_index": "Unnamed: 0",
    "order_date": "Date",
    "customer_id": "Customer ID",
    "order_id": "Order ID",
    "amount": "Sales",
}
# What a directory of input files means, per format.
DIRECTORY_GLOBS: dict[str, str] = {"csv": "*.csv", "parquet": "*.parquet", "jsonl": "*.jsonl"}
_DATE_PARTS = {
    "year": ("%Y", "%y", "%G"),
    "month": ("%m", "%-m", "%b", "%B"),
    "day": ("%d", "%-d", "%e", "%j", "%-j"),
}


@dataclass(frozen=True)
class InputSpec:
    """A validated spec. `columns` maps canonical names to the file's columns (names, or 1-based positions
    in a CSV file without a header; a JSONPath such as $.customer.email in a JSON-lines file)."""

    columns: Mapping[str, str | int]
    format: str = "csv"
    delimiter: str | None = None
    header: bool = True
    date_format: str | None = None
    decimal_separator: str = "."
    rows: str | None = None
    has_returns: bool = False
    path: Path | None = field(default=None, compare=False)

    @property
    def grain(self) -> str:
        """`lines` (one row per product line, summed into orders) or `orders` (one row per order)."""
        return self.rows or ("lines" if "quantity" in self.columns else "orders")

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "the input spec"

    def to_env(self) -> str:
        """The JSON text of SALESDW_INPUT_SPEC (JSON is YAML: macros/input_spec.sql reads it, fromyaml)."""
        data: dict[str, Any] = {"format": self.format}
        if self.format == "csv":
            data.update(delimiter=self.delimiter, header=self.header)
        for key in ("date_format", "rows"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.decimal_separator != ".":
            data["decimal_separator"] = self.decimal_separator
        if self.has_returns:
            data["has_returns"] = True
        data["columns"] = dict(self.columns)
        return json.dumps(data, ensure_ascii=False)


def load_spec(path: Path) -> InputSpec:
    """Reads and validates a spec file; every problem is an InputError of one line naming the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: input spec not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the input spec ({error})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_spec(data, path)


def spec_from_env(text: str) -> InputSpec | None:
    """The spec a plain `dbt build` reads: SALESDW_INPUT_SPEC's YAML (or JSON) text; empty = the default
    columns. Checked like a spec file, so a typo stops the build in one line before dbt reads anything."""
    if not text.strip():
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"SALESDW_INPUT_SPEC: not valid YAML: {problem}") from None
    return parse_spec(data, Path("SALESDW_INPUT_SPEC"))


def parse_spec(data: Any, path: Path | None = None) -> InputSpec:
    where = str(path) if path else "input spec"
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected keys such as `columns:`, found {type(data).__name__}")
    _check_keys(where, data, SPEC_KEYS, "")
    fmt = data.get("format", "csv")
    if fmt not in FORMATS:
        raise InputError(f"{where}: format: {fmt!r} is not one of {', '.join(FORMATS)}")
    header = data.get("header", True)
    if not isinstance(header, bool):
        raise InputError(f"{where}: header: expected true or false, found {header!r}")
    delimiter = data.get("delimiter")
    if fmt != "csv":
        for key in ("delimiter", "header"):
            if key in data:
                raise InputError(f"{where}: {key}: only for format csv (this spec says format {fmt})")
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(str(delimiter), delimiter)
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
            raise InputError(
                f"{where}: delimiter: expected one character such as ',' ';' or tab, found {delimiter!r}"
            )
    decimal_separator = data.get("decimal_separator", ".")
    if decimal_separator not in (".", ","):
        raise InputError(f"{where}: decimal_separator: expected '.' or ',', found {decimal_separator!r}")
    date_format = data.get("date_format")
    if date_format is not None:
        check_date_format(where, date_format)
    rows = data.get("rows")
    if rows is not None and rows not in GRAINS:
        raise InputError(f"{where}: rows: expected one of {', '.join(GRAINS)}, found {rows!r}")
    has_returns = data.get("has_returns", False)
    if not isinstance(has_returns, bool):
        raise InputError(f"{where}: has_returns: expected true or false, found {has_returns!r}")
    columns = _check_columns(where, data.get("columns"), fmt, header)
    spec = InputSpec(
        columns=columns,
        format=fmt,
        delimiter=delimiter,
        header=header if fmt == "csv" else True,
        date_format=date_format,
        decimal_separator=decimal_separator,
        rows=rows,
        has_returns=has_returns,
        path=path,
    )
    if spec.grain == "lines" and "order_id" not in columns:
        raise InputError(
            f"{where}: columns.order_id: a file of product lines needs the order (invoice) id to add its "
            "lines up; without one, leave quantity and unit_price out and map amount (every row is an order)"
        )
    return spec


def _check_keys(where: str, data: Mapping[str, Any], valid: tuple[str, ...] | list[str], prefix: str) -> None:
    for key in data:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
            raise InputError(f"{where}: unknown key {prefix}{key}{hint}; valid keys: {', '.join(valid)}")


def _check_columns(where: str, columns: Any, fmt: str, header: bool) -> dict[str, str | int]:
    if not isinstance(columns, dict) or not columns:
        raise InputError(
            f"{where}: columns: missing; map at least customer_id and order_date to the file's columns, "
            "e.g. `columns: {customer_id: cust, order_date: date, amount: total}`"
        )
    _check_keys(where, columns, list(COLUMN_KEYS), "columns.")
    for key in REQUIRED_COLUMNS:
        if columns.get(key) in (None, ""):
            raise InputError(f"{where}: columns.{key}: missing ({COLUMN_KEYS[key]} is required)")
    for key, value in columns.items():
        positional = fmt == "csv" and not header
        if positional and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise InputError(
                f"{where}: columns.{key}: a file without a header maps columns by position (1, 2, ...), "
                f"found {value!r}"
            )
        if not positional and not (isinstance(value, str) and value.strip()):
            raise InputError(f"{where}: columns.{key}: expected the file's column name, found {value!r}")
    has_amount = "amount" in columns
    has_lines = "quantity" in columns or "unit_price" in columns
    if has_lines and not ("quantity" in columns and "unit_price" in columns):
        missing = "unit_price" if "quantity" in columns else "quantity"
        raise InputError(f"{where}: columns.{missing}: missing; a line amount is quantity x unit_price")
    if has_amount == has_lines:
        what = (
            "both amount and quantity/unit_price" if has_amount else "neither amount nor quantity/unit_price"
        )
        raise InputError(
            f"{where}: columns: {what}; map either amount (the row's value) or quantity and unit_price "
            "(a product line, whose value is quantity x unit_price)"
        )
    names = [str(value) for value in columns.values()]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        keys = [key for key, value in columns.items() if str(value) == doubled[0]]
        raise InputError(f"{where}: columns.{keys[0]} and columns.{keys[1]} both name {doubled[0]!r}")
    return dict(columns)


def check_date_format(where: str, date_format: Any) -> None:
    """A strptime format DuckDB accepts, naming a year, a month and a day."""
    if not isinstance(date_format, str) or "%" not in date_format:
        raise InputError(
            f"{where}: date_format: {date_format!r} is not a strptime format; write e.g. '%d/%m/%Y' "
            "or '%Y%m%d'"
        )
    try:
        with duckdb.connect(":memory:") as connection:
            connection.execute("select try_strptime('', ?)", [date_format]).fetchall()
    except duckdb.Error as error:
        problem = re.sub(r"^[\w ]+Error: ", "", str(error).strip().splitlines()[0])
        raise InputError(f"{where}: date_format: {date_format!r}: {problem}") from None
    missing = [part for part, codes in _DATE_PARTS.items() if not any(code in date_format for code in codes)]
    if missing:
        raise InputError(
            f"{where}: date_format: {date_format!r} has no {' and no '.join(missing)} "
            "(e.g. %Y for 2021, %m for 01, %d for 31)"
        )


def describe_mapping(spec: InputSpec | None) -> list[str]:
    """`customer_id <- 'cust'` lines, for inspect."""
    columns = spec.columns if spec else DEFAULT_COLUMNS
    lines = []
    for key in COLUMN_KEYS:
        if key in columns:
            value = columns[key]
            shown = f"column {value}" if isinstance(value, int) else repr(value)
            lines.append(f"{key:<12} <- {shown}")
    return lines
