"""A suggested input spec for an export whose columns are not the defaults, guessed from the column names and
the sample's values (`InvoiceDate` -> order_date, `19970101` -> %Y%m%d, `12,50` -> decimal_separator ',').

A guess to save and edit, not a rule: `inspect` then builds staging on the sample with it, so the user sees
what the real parsing rules make of the file before a build."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from salesdw.inputs.spec import COLUMN_KEYS, REQUIRED_COLUMNS


def _words(text: str) -> list[str]:
    return text.split()


# Normalised column names (lowercase letters and digits only) per canonical column: exact names first, then
# words a name may contain. Order matters: the first canonical column to claim a name keeps it.
_EXACT_NAMES: dict[str, list[str]] = {
    "row_index": _words("unnamed0 index rownumber rowid"),
    "order_id": _words(
        "orderid invoiceno invoice invoiceid invoicenumber ordernumber orderno order transactionid "
        "transaction txnid receiptid receipt chargeid belegnummer bestellnummer rechnungsnummer name id"
    ),
    "customer_id": _words(
        "customerid customer customerno customernumber custid cust clientid client userid user email "
        "customeremail buyer buyeremail memberid accountid kundennummer kunde kundenid"
    ),
    "order_date": _words(
        "orderdate invoicedate date purchasedate purchased createdat created datecreated orderedat "
        "transactiondate timestamp day belegdatum bestelldatum datum fecha"
    ),
    "quantity": _words("quantity qty units menge anzahl lineitemquantity"),
    "unit_price": _words("unitprice price priceeach itemprice preis einzelpreis lineitemprice"),
    "amount": _words(
        "amount sales revenue total ordertotal grandtotal totalprice linetotal value dollarvalue dollars "
        "gross betrag umsatz summe"
    ),
}
_NAME_WORDS: dict[str, list[str]] = {
    "order_id": _words("order invoice transaction receipt beleg"),
    "customer_id": _words("customer cust client email kunde"),
    "order_date": _words("date created time datum"),
    "quantity": _words("quantity qty"),
    "unit_price": _words("price preis"),
    "amount": _words("amount total sales revenue value betrag"),
}
# Date formats tried on the sample (ISO needs none), day-first before month-first.
_DATE_BASES = _words(
    "%Y%m%d %d.%m.%Y %d/%m/%Y %m/%d/%Y %d-%m-%Y %m-%d-%Y %Y/%m/%d %d.%m.%y %d/%m/%y %m/%d/%y"
)
_DATE_FORMATS: tuple[str, ...] = tuple(
    base + time for base in _DATE_BASES for time in ("", " %H:%M", " %H:%M:%S")
)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+( ?(Z|UTC|[+-][0-9:]+))?)?")
_DECIMAL_COMMA = re.compile(r"-?[^0-9,.-]*-?[0-9]{1,3}([. \u00a0\u202f]?[0-9]{3})*,[0-9]{1,2}[^0-9]*")
_DECIMAL_POINT = re.compile(r".*[0-9]\.[0-9]{1,2}[^0-9]*")
_NUMBER = re.compile(r"[^0-9]*-?[0-9][0-9.,\s\u00a0\u202f]*[^0-9]*")
_SAMPLE_VALUES = 500


@dataclass
class Suggestion:
    """The guessed spec, why each key was guessed (a comment per key), and what could not be guessed."""

    spec: dict[str, object]
    notes: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.missing

    def to_yaml(self, source: str) -> str:
        """The spec as YAML, commented, ready to save and edit."""
        lines = [
            f"# Input spec suggested by `run_pipeline.py inspect` for {source}: check it, then save it and"
        ]
        lines.append("# build with --input-spec FILE (README, 'Your own data').")
        for key, value in self.spec.items():
            if key == "columns":
                lines.append("columns:")
                assert isinstance(value, dict)
                for column, name in value.items():
                    lines.append(_commented(f"  {column}: {_yaml_scalar(name)}", self.notes.get(column)))
            else:
                lines.append(_commented(f"{key}: {_yaml_scalar(value)}", self.notes.get(key)))
        for key in self.missing:
            lines.append(f"# {key}: ?   (no column looks like {COLUMN_KEYS.get(key, key)}: map it by hand)")
        if "has_returns" in self.notes and "has_returns" not in self.spec:
            lines.append(f"# has_returns: true   # {self.notes['has_returns']}")
        return "\n".join(lines) + "\n"


def _commented(line: str, note: str | None) -> str:
    return f"{line:<40} # {note}" if note else line


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .-]*", text) and text.strip() == text and ":" not in text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def match_columns(columns: Sequence[str]) -> dict[str, str]:
    """Canonical column -> file column, by name: exact (normalised) names first, then names containing a
    telling word. Each file column is used once."""
    normalised = {column: _normalise(column) for column in columns}
    chosen: dict[str, str] = {}
    for table in (_EXACT_NAMES, _NAME_WORDS):
        for key, names in table.items():
            if key in chosen:
                continue
            exact = table is _EXACT_NAMES
            for name in names:
                found = [
                    column
                    for column, simple in normalised.items()
                    if column not in chosen.values() and (simple == name if exact else name in simple)
                ]
                if found:
                    chosen[key] = found[0]
                    break
    return chosen


def guess_date_format(values: Iterable[str]) -> tuple[str | None, str | None]:
    """(format, note): None for ISO dates (the default), else the first format every value parses with.
    Day-first before month-first; when no day above 12 tells them apart, the note says so."""
    sample = [value.strip() for value in values if value and value.strip()][:_SAMPLE_VALUES]
    if not sample:
        return None, "no dates in the sample"
    if all(_ISO.fullmatch(value) for value in sample):
        return None, None
    # The format that reads the most values (the first of equals: day-first before month-first); a few
    # that fit none are impossible dates, which staging will reject (31.02.2021).
    counts = {fmt: sum(_parses(value, fmt) for value in sample) for fmt in _DATE_FORMATS}
    chosen = max(_DATE_FORMATS, key=lambda fmt: counts[fmt])
    if counts[chosen] < 0.8 * len(sample):
        return None, f"no known format reads {sample[0]!r}: write date_format by hand"
    swapped = chosen.replace("%d", "%_").replace("%m", "%d").replace("%_", "%m")
    note = f"e.g. {sample[0]}"
    if swapped != chosen and counts.get(swapped) == counts[chosen]:
        # No day above 12 tells them apart: in rows sorted by date the day varies more than the month.
        if _varies_more(sample, second=chosen.index("%m") < chosen.index("%d")):
            chosen, swapped = swapped, chosen
        note += f"; {swapped} reads them too (no day above 12 in the sample): check which it is"
    misfits = [value for value in sample if not _parses(value, chosen)]
    if misfits:
        note += f"; {len(misfits)} value(s) fit no format, e.g. {misfits[0]!r}"
    return chosen, note


def _varies_more(values: list[str], second: bool) -> bool:
    """Whether the first of the two leading numeric fields (second=False) or the second (second=True) of
    the dates has fewer distinct values than the other one."""
    fields = [re.findall(r"[0-9]+", value)[:2] for value in values]
    firsts = {pair[0] for pair in fields if len(pair) == 2}
    seconds = {pair[1] for pair in fields if len(pair) == 2}
    return len(seconds) < len(firsts) if second else len(firsts) < len(seconds)


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def guess_decimal_separator(values: Iterable[str]) -> str:
    """',' when more of the sample's amounts are written with a decimal comma (12,50; 1.234,50) than with a
    decimal point."""
    sample = [value.strip() for value in values if value and value.strip()][:_SAMPLE_VALUES]
    commas = sum(bool(_DECIMAL_COMMA.fullmatch(value)) for value in sample)
    points = sum(bool(_DECIMAL_POINT.fullmatch(value)) and "," not in value for value in sample)
    return "," if commas > points else "."


def suggest_spec(
    columns: Sequence[str], values: Mapping[str, list[str]], fmt: str, delimiter: str | None
) -> Suggestion:
    """A spec for a file with these columns, whose sample values are `values` (column -> text values)."""
    matched = match_columns(columns)
    # A date column found by its values when no name says so.
    if "order_date" not in matched:
        for column in columns:
            if column not in matched.values() and values.get(column):
                date_format, _ = guess_date_format(values[column])
                text = [value for value in values[column] if value]
                if text and (date_format or all(_ISO.fullmatch(value.strip()) for value in text[:50])):
                    matched["order_date"] = column
                    break
    spec: dict[str, object] = {"format": fmt}
    notes: dict[str, str] = {}
    if fmt == "csv":
        spec["delimiter"] = delimiter or ","
    if "order_date" in matched:
        date_format, note = guess_date_format(values.get(matched["order_date"], []))
        if date_format:
            spec["date_format"] = date_format
        if note:
            notes["date_format" if date_format else "order_date"] = note
    has_lines = "quantity" in matched and "unit_price" in matched
    order_ids = [value for value in values.get(matched.get("order_id", ""), []) if value]
    repeated_orders = len(order_ids) > len(set(order_ids))
    if "amount" in matched and has_lines and not repeated_orders:
        # One row per order with a total: the total is the amount.
        del matched["quantity"], matched["unit_price"]
    elif has_lines:
        matched.pop("amount", None)
    else:
        matched.pop("quantity", None)
        matched.pop("unit_price", None)
    if has_lines and "order_id" not in matched:
        del matched["quantity"], matched["unit_price"]
    money = matched.get("amount") or matched.get("unit_price")
    if money and guess_decimal_separator(values.get(money, [])) == ",":
        spec["decimal_separator"] = ","
        notes["decimal_separator"] = f"e.g. {next(value for value in values[money] if value)}"
    amounts = [value for value in values.get(matched.get("amount", ""), []) if value]
    negatives = sum(value.strip().startswith("-") for value in amounts if _NUMBER.fullmatch(value.strip()))
    if negatives:
        notes["has_returns"] = f"{negatives} negative amount(s) in the sample: refunds? then keep this line"
    ordered = {key: matched[key] for key in COLUMN_KEYS if key in matched}
    for key, column in ordered.items():
        example = next((value for value in values.get(column, []) if value), None)
        if example is not None:
            notes.setdefault(key, f"e.g. {example}")
    spec["columns"] = ordered
    missing = [key for key in REQUIRED_COLUMNS if key not in ordered]
    if "amount" not in ordered and "quantity" not in ordered:
        missing.append("amount")
    return Suggestion(spec, {key: note for key, note in notes.items() if note}, missing)
