"""The dbt-duckdb plugin that makes a plain `dbt ...` from the project root as safe as the runner.

profiles.yml loads it. dbt-duckdb creates it once per dbt invocation, when dbt first opens the warehouse,
before any SQL runs. It reads which command is running from dbt's own flags (`dbt build`, `dbt test`, ...;
dbtRunner sets the same flags in-process), and then:
* a writing command (dbt_session.WRITE_COMMANDS) takes the build lock, checks the input, starts the working
  copy `<data>/build/warehouse.duckdb` from the published file and attaches it read-write as `warehouse`;
  at the end of the run the on-run-end hook (macros/finish_build.sql) detaches it and calls
  `salesdw_finish_build()`, which publishes it when every node passed;
* any other command attaches the published `<data>/warehouse.duckdb` read-only as `warehouse`, so it runs
  beside notebooks and other readers, and beside a build.

When dbt cannot do its job, the plugin raises WarehouseUnavailable, which dbt prints as its message alone
(one line) instead of a traceback."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.events.logging import AdapterLogger
from dbt.flags import get_flags
from dbt_common.exceptions import DbtBaseException
from dbt_common.invocation import get_invocation_id

from salesdw.paths import Workspace
from salesdw.pipeline.dbt_invoke import node_results_from_hook, one_line
from salesdw.pipeline.dbt_session import (
    REFUSED_COMMANDS,
    BuildSession,
    SessionError,
    mode_of,
    start_write_session,
)
from salesdw.pipeline.publish import DuckDBFilePublisher, PublishError, writer_message

_LOGGER = AdapterLogger("salesdw")
# The catalog every model lives in (profiles.yml `database:`); the same name as the published file's stem,
# so views that name it resolve when readers open the file directly.
CATALOG = "warehouse"
# What the staging sources read when SALES_RAW_PATH / SALESDW_MARKETING_DIR are not set
# (models/staging/_staging.yml, models/staging/marketing/_marketing_staging.yml), relative to the working
# directory like DuckDB's readers.
DEFAULT_RAW_PATH = "data/sample/sales.csv"
DEFAULT_MARKETING_DIR = "data/sample/marketing"


class WarehouseUnavailable(DbtBaseException):
    """dbt prints a DbtBaseException as 'Encountered an error:' and str(exception), without a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# After a failure dbt opens the warehouse again from its other threads, each time with a new plugin: they
# get the first failure again (by dbt invocation), not a second lock attempt or run log row.
_FAILURES: dict[str, WarehouseUnavailable] = {}


def _import_clv_early() -> None:
    """Start importing the CLV Python models' code (scipy, pandas: ~0.7 s of CPU) in a thread. A build's first
    minutes are DuckDB's (staging, the facts), which releases the GIL, so the import costs nothing there,
    instead of ~0.7 s on the critical path when clv_model_fit starts. A failure is left for the model's own
    import to report."""

    def import_quietly() -> None:
        with contextlib.suppress(Exception):  # the model imports it again and fails in words
            importlib.import_module("salesdw.clv.tables")

    if "salesdw.clv.tables" not in sys.modules:
        threading.Thread(target=import_quietly, name="salesdw-clv-import", daemon=True).start()


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.invocation = get_invocation_id()
        if self.invocation in _FAILURES:
            raise _FAILURES[self.invocation]
        try:
            self._start(plugin_config)
        except WarehouseUnavailable as failure:
            _FAILURES[self.invocation] = failure
            raise

    def _start(self, plugin_config: dict[str, Any]) -> None:
        flags = get_flags()
        self.command = str(getattr(flags, "WHICH", "") or "")
        self.empty = bool(getattr(flags, "EMPTY", False))
        project_dir = Path(getattr(flags, "PROJECT_DIR", None) or os.getcwd())
        # SALESDW_DATA_DIR, read here rather than through the profile (profiles.yml says why). A relative data
        # directory is the project's, wherever dbt is started from.
        data_dir = os.environ.get("SALESDW_DATA_DIR") or plugin_config.get("data_dir") or "data"
        self.workspace = Workspace((project_dir / str(data_dir)).resolve())
        self.session: BuildSession | None = None
        self.closing = False
        mode = mode_of(self.command)
        if mode == "refused":
            raise WarehouseUnavailable(f"error: {REFUSED_COMMANDS[self.command]}")
        if mode == "write":
            try:
                self.session = start_write_session(
                    self.workspace,
                    self.command,
                    DuckDBFilePublisher(self.workspace),
                    full_refresh=bool(getattr(flags, "FULL_REFRESH", False)),
                    raw_path=os.environ.get("SALES_RAW_PATH") or DEFAULT_RAW_PATH,
                    # Empty means no marketing files (the staging models read none either).
                    marketing_dir=os.environ.get("SALESDW_MARKETING_DIR", DEFAULT_MARKETING_DIR) or None,
                    as_of_date=os.environ.get("SALESDW_AS_OF_DATE") or None,
                    echo=_LOGGER.info,
                )
            except SessionError as error:
                raise WarehouseUnavailable(f"error: {error}") from None
            _import_clv_early()
        elif self.command == "test" and not self.workspace.published_db.exists():
            raise WarehouseUnavailable(
                f"error: no published warehouse at {self.workspace.published_db} to test: build it first "
                "with `dbt build` (or `python run_pipeline.py`)"
            )

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        # Spill files: a build's go to <data>/build/spill (cleared by the next build, which holds the lock);
        # a reader's to a directory of its own, so a build never deletes them under it.
        chosen = os.environ.get("SALESDW_TEMP_DIR")
        if self.session is not None:
            config["temp_directory"] = chosen or str(self.workspace.temp_dir)
        else:
            config["temp_directory"] = str(Path(tempfile.gettempdir()) / f"salesdw-spill-{os.getpid()}")

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        if self.invocation in _FAILURES:
            conn.close()
            raise _FAILURES[self.invocation]
        try:
            conn.execute(self._attach_sql())
        except duckdb.Error as error:
            conn.close()
            path = self.workspace.working_db if self.session else self.workspace.published_db
            message = writer_message(path, error) or f"cannot open {path}: {one_line(str(error))}"
            if self.session is not None:
                self.session.fail("failed", message)
            _FAILURES[self.invocation] = WarehouseUnavailable(f"error: {message}")
            raise _FAILURES[self.invocation] from None
        conn.create_function("salesdw_end_of_run", self._end_of_run, [], "VARCHAR", side_effects=True)
        conn.create_function(
            "salesdw_finish_build", self._finish_build, ["VARCHAR"], "VARCHAR", side_effects=True
        )

    def configure_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        # Unqualified names resolve in the warehouse (dbt qualifies its own; Python models and ad-hoc macros
        # may not). A cursor opened after the hook detached the working copy stays in memory.
        if not self.closing:
            cursor.execute(f"use {CATALOG}")

    def _attach_sql(self) -> str:
        if self.session is not None:
            return f"attach {_sql_string(str(self.workspace.working_db))} as {CATALOG}"
        published = self.workspace.published_db
        if not published.exists():
            # compile, docs generate, debug, ... before the first build: an empty warehouse.
            return f"attach ':memory:' as {CATALOG}"
        return f"attach {_sql_string(str(published))} as {CATALOG} (read_only)"

    def _end_of_run(self) -> str:
        """'publish' tells the hook to detach the working copy and call salesdw_finish_build."""
        if self.session is None or self.session.finished:
            return "read"
        self.closing = True
        return "publish"

    def _finish_build(self, payload: str) -> str:
        """The verdict on the run's results (JSON from the hook): publish or keep; returns what to tell the
        user, and whether publishing failed although every node passed (the hook then fails the run)."""
        assert self.session is not None
        nodes = node_results_from_hook(json.loads(payload))
        try:
            self.session.finish(nodes, empty=self.empty)
            failed = False
        except PublishError:
            failed = True
        return json.dumps({"messages": self.session.messages, "publish_failed": failed})
