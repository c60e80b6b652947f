"""``ipsec-harness``: the harness's command line.

Each area mounts its own subcommands (``add_subparsers(subparsers)``; every subparser sets
``handler(namespace) -> int``), so this module only assembles them. Exit codes: 0 pass,
1 a conformance failure or a regression, 2 bad input (one line on stderr, no traceback).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that contribute subcommands, in help order.
SUBCOMMAND_MODULES = (
    "harness.cli_traffic",  # generate, verify, inspect
    "harness.cli_run",  # run, nightly
    "reports.cli",  # report, compare
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ipsec-harness",
        description="Traffic generator and conformance harness for IPsec gateways.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.add_subparsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    try:
        return int(ns.handler(ns))
    except KeyboardInterrupt:
        print("ipsec-harness: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
