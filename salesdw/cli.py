"""Command line: `python run_pipeline.py [CSV_PATH]` builds; subcommands for the other jobs."""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

from salesdw.paths import Workspace

# Subcommand name -> module in salesdw.commands (each: HELP, add_arguments(parser), run(args, workspace)).
COMMANDS: dict[str, str] = {
    "build": "salesdw.commands.build",
    "bench": "salesdw.commands.bench",
    "status": "salesdw.commands.status",
    "export": "salesdw.commands.export",
    "report": "salesdw.commands.report",
    "inspect": "salesdw.commands.inspect",
}


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_pipeline.py",
        description="Marketing-analytics warehouse: raw sales CSV -> dbt on DuckDB -> star schema, insights.",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="warehouse directory (default: data/, or SALESDW_DATA_DIR)"
    )
    subparsers = parser.add_subparsers(dest="command")
    for name in COMMANDS:
        module = _command_module(name)
        module.add_arguments(subparsers.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


GLOBAL_OPTIONS_WITH_VALUE = {"--data-dir"}


def with_default_subcommand(args: list[str]) -> list[str]:
    """`run_pipeline.py data.csv` means `run_pipeline.py build data.csv`."""
    position = 0
    # Skip the global options (--data-dir VALUE or --data-dir=VALUE); build's own options start the build.
    while position < len(args) and args[position].split("=")[0] in GLOBAL_OPTIONS_WITH_VALUE:
        position += 1 if "=" in args[position] else 2
    if position < len(args) and args[position] in {"-h", "--help"}:
        return args
    if position < len(args) and args[position] in COMMANDS:
        return args
    return [*args[:position], "build", *args[position:]]


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(with_default_subcommand(list(sys.argv[1:] if argv is None else argv)))
    return int(_command_module(args.command).run(args, Workspace.from_env(args.data_dir)))


def exit_now(status: int) -> None:
    """Ends the process with `status` without the interpreter's teardown. After a build it holds ~2,500
    modules (dbt and its dependencies), and tearing them down took 1.3 s on the reference machine while
    doing nothing useful: files are closed, the lock and DuckDB released. The exit handlers still run
    (multiprocessing's clean up dbt's semaphores) and the output is flushed."""
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


#: The exit status of a process whose reader went away (128 + SIGPIPE), as shells report it.
EXIT_READER_GONE = 141


def console_main() -> None:
    """The entry point of `run_pipeline.py` and the `salesdw` command."""
    try:
        status = main()
    except BrokenPipeError:
        # The reader of the output went away (`... | head`): stop quietly, as other command-line tools do,
        # instead of a traceback; what is left to print goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = EXIT_READER_GONE
    exit_now(status)
