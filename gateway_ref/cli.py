"""``gateway-ref``: check a cfg, run the reference gateway offline over pcap files, or live.

    gateway-ref check -f CFG [--engine library|legacy]
    gateway-ref offline -f CFG [-u PORTMASK] [-p PORTMASK] [-w WINDOW] [-e] [--engine library|legacy]
                        [--mtu N] [--port-mac PORT=MAC ...]
                        --rx PORT=FILE.pcap [--rx ...] --out DIR [--burst N]
    gateway-ref live -f CFG --port 0=IFACE --port 1=IFACE ...   (see gateway_ref.run.live_cli)

Options follow ipsec-secgw: ``-u`` is the hex mask of unprotected ports (default 0x1, i.e.
port 0 unprotected, the layout of secgw's own tests; secgw refuses it when the cfg has no
``sa in``, and so do we), ``-p`` the hex mask of enabled ports (default: every port that ``-u``,
``--rx``, the routes and the inline SAs' ``port_id`` name; a packet routed to another port is
dropped as ``no-tx-port``), ``-w`` the replay window (0 = off), ``-e`` ESN, ``--mtu`` the L3
MTU of every port (default 1500; longer packets are dropped as ``mtu-exceeded``).
``--port-mac PORT=MAC`` sets a port's own (source) MAC, e.g. ``1=02:00:00:00:d0:01``. Bad input gives one line ``gateway-ref: error: ...`` (or the cfg's
``FILE:LINE:COL: error: ...``) on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway_ref.cfg import ConfigError
from gateway_ref.gateway import Gateway, GatewayOptionError
from gateway_ref.pcap import PcapError
from gateway_ref.run.live_cli import add_live_parser
from gateway_ref.run.offline import run_offline, summary
from gateway_ref.tables import format_tables

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise UsageError(message)


DEFAULT_MTU = 1500  # secgw's --mtu default
MAX_PORT = 255


def _portmask(text: str, flag: str = "-u") -> frozenset[int]:
    try:
        mask = int(text, 16)
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a hex port mask such as 0x1") from None
    if mask <= 0:
        raise UsageError(f"{flag} {text!r}: the port mask must not be 0")
    return frozenset(bit for bit in range(mask.bit_length()) if mask >> bit & 1)


def _port_mac(text: str) -> tuple[int, bytes]:
    port, sep, mac = text.partition("=")
    octets = mac.split(":")
    if (not sep or not port.isdigit() or int(port) > MAX_PORT or len(octets) != 6
            or not all(len(o) == 2 and all(c in "0123456789abcdefABCDEF" for c in o) for o in octets)):
        raise UsageError(f"--port-mac {text!r}: expected PORT=MAC, e.g. 1=02:00:00:00:d0:01")
    return int(port), bytes.fromhex("".join(octets))


def _rx_spec(text: str) -> tuple[int, str]:
    port, sep, path = text.partition("=")
    if not sep or not port.isdigit() or not path:
        raise UsageError(f"--rx {text!r}: expected PORT=FILE.pcap, e.g. 0=in.pcap")
    return int(port), path


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gateway-ref", description="reference IPsec gateway (DPDK ipsec-secgw cfg language)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="validate a cfg and print its tables")
    check.add_argument("-f", dest="cfg", required=True, help="cfg file")
    check.add_argument("--engine", choices=("library", "legacy"), default="library")
    check.set_defaults(run=_check)
    off = sub.add_parser("offline", help="run pcaps through the gateway, write per-port pcaps")
    off.add_argument("-f", dest="cfg", required=True, help="cfg file")
    off.add_argument("-u", dest="portmask", default="0x1", help="hex mask of unprotected ports (default 0x1)")
    off.add_argument("-p", dest="enabled", help="hex mask of enabled ports (default: every port named)")
    off.add_argument("-w", dest="window", type=int, default=0, help="replay window (0 = off)")
    off.add_argument("-e", dest="esn", action="store_true", help="ESN for every SA")
    off.add_argument("--engine", choices=("library", "legacy"), default="library")
    off.add_argument("--mtu", type=int, default=DEFAULT_MTU, help=f"L3 MTU of every port (default {DEFAULT_MTU})")
    off.add_argument("--port-mac", action="append", default=[], metavar="PORT=MAC",
                     help="a port's own source MAC (repeat per port)")
    off.add_argument("--rx", action="append", required=True, metavar="PORT=FILE", help="input pcap per port")
    off.add_argument("--out", required=True, help="output directory")
    off.add_argument("--burst", type=int, default=32, help="rx burst size (default 32)")
    off.set_defaults(run=_offline)
    add_live_parser(sub)  # its handler prints its own one-line errors
    return parser


def _check(args: argparse.Namespace) -> int:
    with Gateway.from_cfg_file(args.cfg, engine=args.engine) as gw:
        for warning in gw.cfg.warnings:
            print(warning, file=sys.stderr)
        sys.stdout.write(format_tables(gw.tables))
    return 0


def _offline(args: argparse.Namespace) -> int:
    unprotected = _portmask(args.portmask)
    rx = dict(_rx_spec(spec) for spec in args.rx)
    if args.window < 0:
        raise UsageError(f"-w {args.window}: the replay window must be >= 0")
    if args.burst < 1:
        raise UsageError(f"--burst {args.burst}: must be >= 1")
    macs: dict[int, bytes] = {}
    for spec in args.port_mac:
        port, mac = _port_mac(spec)
        if port in macs:
            raise UsageError(f"--port-mac {spec!r}: port {port} given twice")
        macs[port] = mac
    enabled = None if args.enabled is None else _portmask(args.enabled, "-p")
    if enabled is not None and not set(rx) <= enabled:
        raise UsageError(f"--rx ports {sorted(set(rx) - enabled)} are not enabled by -p {args.enabled}")
    with Gateway.from_cfg_file(args.cfg, engine=args.engine, unprotected_ports=unprotected,
                               replay_window=args.window, esn=args.esn, mtu=args.mtu, enabled_ports=enabled,
                               port_macs=macs) as gw:
        for warning in gw.cfg.warnings:
            print(warning, file=sys.stderr)
        ports = (set(gw.ports()) if enabled is None else set(enabled)) | set(rx)
        counters = run_offline(gw, rx, args.out, ports, burst=args.burst)
    print(summary(counters))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        return args.run(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
    except (UsageError, GatewayOptionError, PcapError) as exc:
        print(f"gateway-ref: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"gateway-ref: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("gateway-ref: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
