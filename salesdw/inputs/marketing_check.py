"""Checks the optional marketing directory before dbt runs: one clear line instead of a failed model.

The directory holds `ad_spend*.csv|jsonl` and `touchpoints*.csv|jsonl` (models/staging/marketing). A CSV must
have a header naming every required field (under one of its accepted names, see FIELD_NAMES, which mirrors
macros/marketing_sources.sql) and rows as wide as the header; an empty file is an error. JSON lines are
checked by the staging models line by line (a line that is not a JSON object is a rejected record).
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from salesdw.inputs.input_check import (
    FileScan,
    InputError,
    check_csv_shape,
    read_header,
    transcode_to_utf8,
)

# The file patterns of each kind and format (the sources of models/staging/marketing/_marketing_staging.yml).
PATTERNS: dict[str, tuple[str, ...]] = {
    "ad_spend": ("ad_spend*.csv", "ad_spend*.jsonl"),
    "touchpoints": ("touchpoints*.csv", "touchpoints*.jsonl"),
}
# Required fields of a CSV header and the column names each may have (the first present one is read).
FIELD_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "ad_spend": {
        "date": ("date",),
        "channel": ("channel",),
        "campaign_id": ("campaign_id",),
        "impressions": ("impressions",),
        "clicks": ("clicks",),
        "conversions": ("conversions",),
        "spend": ("spend",),
    },
    "touchpoints": {
        "event_time": ("event_time", "timestamp"),
        "customer_id": ("customer_id", "user_id"),
        "channel": ("channel", "source"),
        "campaign_id": ("campaign_id",),
        # event_type may be absent in the click-tracking shape (user_id ...): those rows are clicks.
        "event_type": ("event_type", "user_id"),
    },
}


@dataclass(frozen=True)
class MarketingReport:
    """The marketing directory as dbt will read it (SALESDW_MARKETING_DIR) and its files."""

    directory: Path
    files: tuple[Path, ...]

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)

    def describe(self) -> str:
        return f"{self.directory} ({len(self.files)} file(s), {self.total_bytes:,} bytes)"


def marketing_files(directory: Path) -> tuple[Path, ...]:
    """Every file of the directory that a marketing source reads, sorted."""
    found: set[Path] = set()
    for patterns in PATTERNS.values():
        for pattern in patterns:
            found.update(
                Path(match) for match in glob.glob(str(directory / pattern)) if Path(match).is_file()
            )
    return tuple(sorted(found))


def _kind_of(path: Path) -> str:
    return next(kind for kind, patterns in PATTERNS.items() if any(path.match(p) for p in patterns))


def check_marketing_dir(directory: str | os.PathLike[str]) -> MarketingReport:
    """Resolves the directory and checks each marketing file's readability, emptiness and CSV header."""
    path = Path(directory).expanduser()
    if not path.exists():
        raise InputError(f"--marketing-dir {directory}: directory not found")
    if not path.is_dir():
        raise InputError(f"--marketing-dir {directory}: not a directory")
    # Absolute, not resolved: a symlinked directory keeps its path (the benchmark points one link at each
    # size's files, and the path dbt sees must not change between builds: a new path means a re-parse).
    path = path.absolute()
    files = marketing_files(path)
    for file in files:
        if file.suffix == ".csv":
            _check_csv(file, _kind_of(file))
    return MarketingReport(path, files)


def _check_csv(path: Path, kind: str) -> None:
    columns = read_header(path)  # raises InputError for an unreadable or empty file
    missing = [field for field, names in FIELD_NAMES[kind].items() if not any(n in columns for n in names)]
    if missing:
        expected = ", ".join(f"'{field}'" for field in FIELD_NAMES[kind])
        raise InputError(
            f"{path}: wrong columns for {kind}: missing {', '.join(repr(m) for m in missing)}; "
            f"expected {expected}, found {', '.join(repr(c) for c in columns)}"
        )
    duplicated = sorted({column for column in columns if columns.count(column) > 1})
    if duplicated:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, duplicated))} appear more than once")
    check_csv_shape(path, columns, "utf-8")


def stage_marketing_as_utf8(
    report: MarketingReport, scans: tuple[FileScan, ...], folder: Path
) -> MarketingReport:
    """The directory dbt must read: unchanged when every file is UTF-8 (the usual case); otherwise a folder
    with a UTF-8 copy of each file that is not and a symlink to each file that is, under the same names
    (the sources glob by name), as input_check.stage_as_utf8 does for sales."""
    if all(scan.is_utf8 for scan in scans):
        return report
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    staged = []
    for scan in scans:
        target = folder / scan.path.name
        if scan.is_utf8:
            target.symlink_to(scan.path)
        else:
            transcode_to_utf8(scan.path, target)
        staged.append(target)
    return MarketingReport(folder, tuple(staged))
