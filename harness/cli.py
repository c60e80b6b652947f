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

# Which module mounts each subcommand. Only the module of the command being run is imported,
# so ``ipsec-harness verify`` does not pay for pandas and matplotlib (``--help`` imports all).
COMMAND_MODULES = {
    "generate": "harness.cli_traffic",
    "verify": "harness.cli_traffic",
    "inspect": "harness.cli_traffic",
    "run": "harness.cli_run",
    "nightly": "harness.cli_run",
    "report": "reports.cli",
    "compare": "reports.cli",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or only the modules needed for ``command``."""
    parser = argparse.ArgumentParser(
        prog="ipsec-harness",
        description="Traffic generator and conformance harness for IPsec gateways.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in dict.fromkeys(wanted):
        importlib.import_module(name).add_subparsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), None)
    ns = build_parser(command).parse_args(args)
    try:
        return int(ns.handler(ns))
    except KeyboardInterrupt:
        print("ipsec-harness: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
