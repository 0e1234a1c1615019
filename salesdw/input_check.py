"""Checks a raw input before dbt runs, so a bad file gets one clear line instead of a stack trace."""

from __future__ import annotations

import codecs
import csv
import glob
import io
from dataclasses import dataclass, field
from pathlib import Path

EXPECTED_COLUMNS: tuple[str, ...] = ("Unnamed: 0", "Date", "Customer ID", "Order ID", "Sales")
_HEADER_PROBE_BYTES = 64 * 1024


class InputError(Exception):
    """A raw input that cannot be built; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class InputReport:
    """What the pre-flight check found: the files to read and their columns."""

    pattern: str
    files: tuple[Path, ...]
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...] = field(default=())

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def resolve_pattern(raw_path: str | Path) -> str:
    """An absolute file path or glob; a directory means every CSV file in it."""
    path = Path(raw_path).expanduser()
    if path.is_dir():
        return str(path.resolve() / "*.csv")
    if glob.has_magic(str(path)):
        return str(path.absolute())
    return str(path.resolve())


def read_header(path: Path) -> tuple[str, ...]:
    """The header row of a CSV file, with a UTF-8 byte-order mark removed."""
    try:
        with path.open("rb") as handle:
            probe = handle.read(_HEADER_PROBE_BYTES)
    except PermissionError as error:
        raise InputError(f"{path}: cannot read the file (permission denied)") from error
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from error
    if probe.startswith(codecs.BOM_UTF8):
        probe = probe[len(codecs.BOM_UTF8) :]
    if not probe.strip():
        raise InputError(f"{path}: the file is empty")
    first_line = probe.splitlines()[0].decode("utf-8", errors="replace")
    return tuple(column.strip() for column in next(csv.reader(io.StringIO(first_line))))


def _has_data_row(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.readline()
        return any(line.strip() for line in handle)


def check_columns(path: Path, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Fails when an expected column is missing or doubled; returns the extra columns (ignored)."""
    missing = [column for column in EXPECTED_COLUMNS if column not in columns]
    if missing:
        raise InputError(
            f"{path}: wrong columns: missing {_quoted(missing)}; "
            f"expected {_quoted(EXPECTED_COLUMNS)}, found {_quoted(columns)}"
        )
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated:
        raise InputError(f"{path}: column(s) {_quoted(duplicated)} appear more than once in the header")
    return tuple(column for column in columns if column not in EXPECTED_COLUMNS)


def check_raw_input(raw_path: str | Path) -> InputReport:
    """Resolves the input to files and checks each one's existence, readability, emptiness and header."""
    pattern = resolve_pattern(raw_path)
    if glob.has_magic(pattern):
        files = tuple(Path(match) for match in sorted(glob.glob(pattern)) if Path(match).is_file())
        if not files:
            raise InputError(f"{raw_path}: no files match")
    else:
        path = Path(pattern)
        if not path.exists():
            raise InputError(f"{raw_path}: file not found")
        if not path.is_file():
            raise InputError(f"{raw_path}: not a regular file")
        files = (path,)

    header: tuple[str, ...] | None = None
    extra: tuple[str, ...] = ()
    for path in files:
        columns = read_header(path)
        extra = check_columns(path, columns)
        if not _has_data_row(path):
            raise InputError(f"{path}: the file has a header but no data rows")
        if header is not None and set(columns) != set(header):
            raise InputError(
                f"{path}: columns differ from {files[0].name}: found {_quoted(columns)}, "
                f"expected {_quoted(header)}"
            )
        header = columns
    assert header is not None
    return InputReport(pattern, files, header, extra)


def _quoted(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{column}'" for column in columns)
