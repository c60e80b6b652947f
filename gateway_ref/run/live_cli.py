"""The ``live`` subcommand of ``gateway-ref``: flags, validation, and the call into ``run_live``.

    gateway-ref live -f CFG --port 0=IFACE --port 1=IFACE [-u MASK] [-w N] [-e]
                     [--engine library|legacy] [--mtu N] [-t SECONDS] [--counters-out FILE]
                     [--workers 1|2] [--ready-file PATH] [--rx-ring-mb N] [--max-runtime S]
                     [--rx-mode v2|v3|recv] [--rx-retire-ms MS] [--burst N] [--busy-poll US]

Run it where the interfaces are, e.g. ``ip netns exec ipxh-<run>-dut gateway-ref live ...``.
Bad flags and missing interfaces give one line ``gateway-ref: error: ...`` and exit 2.
"""
from __future__ import annotations

import argparse
import sys

from gateway_ref.cfg import ConfigError
from gateway_ref.run.afpacket_rx import RingGeometry, RxMode
from gateway_ref.gateway import GatewayOptionError
from gateway_ref.run.live import DEFAULT_BURST, DEFAULT_MTU, LiveOptions, run_live

EXIT_ERROR = 2


class LiveUsageError(ValueError):
    """A bad ``live`` flag; printed as one line."""


def add_live_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``live`` subparser to ``gateway-ref``'s subparsers; its handler is ``args.run``."""
    live = sub.add_parser("live", help="run the gateway on network interfaces (AF_PACKET rings)")
    live.add_argument("-f", dest="cfg", required=True, help="cfg file")
    live.add_argument("--port", action="append", required=True, metavar="PORT=IFACE",
                      help="gateway port number and interface, e.g. 0=ipxh-d0 (repeat per port)")
    live.add_argument("-u", dest="portmask", default="0x1", help="hex mask of unprotected ports (default 0x1)")
    live.add_argument("-w", dest="window", type=int, default=0, help="replay window (0 = off)")
    live.add_argument("-e", dest="esn", action="store_true", help="ESN for every SA")
    live.add_argument("--engine", choices=("library", "legacy"), default="library")
    live.add_argument("--mtu", type=int, default=DEFAULT_MTU,
                      help=f"L3 MTU of every port; longer packets are dropped (default {DEFAULT_MTU})")
    live.add_argument("-t", dest="stats", type=float, default=0.0, metavar="SECONDS",
                      help="print a stats line every SECONDS (0 = never)")
    live.add_argument("--counters-out", help="write counters here as JSON at exit and on SIGUSR1")
    live.add_argument("--workers", type=int, choices=(1, 2), default=1,
                      help="2: one process per direction (inbound / outbound)")
    live.add_argument("--ready-file", help="written once every socket is bound")
    live.add_argument("--rx-ring-mb", type=int, default=32, help="RX ring size per port in MiB (default 32)")
    live.add_argument("--rx-mode", choices=[m.value for m in RxMode], default=RxMode.V2.value,
                      help="v2: TPACKET_V2 ring, per-frame hand-over (default, lowest latency); v3: TPACKET_V3 "
                           "ring, per-block hand-over (a block waits for --rx-retire-ms when not full); "
                           "recv: one recv() per frame")
    live.add_argument("--rx-retire-ms", type=int, default=1, metavar="MS",
                      help="v3 only: retire a partly filled block after MS ms (default 1; rounded up to a jiffy)")
    live.add_argument("--burst", type=int, default=DEFAULT_BURST,
                      help=f"frames taken from one port per loop iteration (default {DEFAULT_BURST})")
    live.add_argument("--busy-poll", type=int, default=0, metavar="US",
                      help="after traffic, spin on the rings up to US microseconds before sleeping in poll() "
                           "(lower latency, burns a core while traffic flows; default 0 = off)")
    live.add_argument("--max-runtime", type=float, default=0.0, metavar="SECONDS",
                      help="stop by itself after SECONDS (0 = run until SIGINT/SIGTERM)")
    live.set_defaults(run=main_live)
    return live


def _portmask(text: str) -> frozenset[int]:
    try:
        mask = int(text, 16)
    except ValueError:
        raise LiveUsageError(f"-u {text!r}: expected a hex port mask such as 0x1") from None
    if mask <= 0:
        raise LiveUsageError(f"-u {text!r}: the unprotected port mask must not be 0")
    return frozenset(bit for bit in range(mask.bit_length()) if mask >> bit & 1)


def _port_spec(text: str) -> tuple[int, str]:
    port, sep, iface = text.partition("=")
    if not sep or not port.isdigit() or not iface or int(port) > 255:
        raise LiveUsageError(f"--port {text!r}: expected PORT=IFACE with PORT 0..255, e.g. 0=ipxh-d0")
    return int(port), iface


def options_from_args(args: argparse.Namespace) -> LiveOptions:
    """Validate the flags into LiveOptions (LiveUsageError names the bad flag)."""
    ports: dict[int, str] = {}
    for spec in args.port:
        port, iface = _port_spec(spec)
        if port in ports:
            raise LiveUsageError(f"--port {spec!r}: port {port} given twice")
        ports[port] = iface
    if args.rx_ring_mb < 1:
        raise LiveUsageError(f"--rx-ring-mb {args.rx_ring_mb}: must be >= 1")
    if args.rx_retire_ms < 1:
        raise LiveUsageError(f"--rx-retire-ms {args.rx_retire_ms}: must be >= 1")
    try:
        return LiveOptions(
            cfg_path=args.cfg, ports=ports, unprotected_ports=_portmask(args.portmask),
            replay_window=args.window, esn=args.esn, engine=args.engine, mtu=args.mtu, stats_interval_s=args.stats,
            counters_out=args.counters_out, ready_file=args.ready_file, workers=args.workers,
            ring=RingGeometry.for_megabytes(args.rx_ring_mb, args.rx_retire_ms, RxMode(args.rx_mode)),
            max_runtime_s=args.max_runtime, burst=args.burst, busy_poll_us=args.busy_poll)
    except ValueError as exc:
        raise LiveUsageError(str(exc)) from None


def main_live(args: argparse.Namespace) -> int:
    """Run ``gateway-ref live``; print one-line errors, return the exit status."""
    try:
        run_live(options_from_args(args))
        return 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
    except (LiveUsageError, GatewayOptionError, RuntimeError) as exc:
        print(f"gateway-ref: error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"gateway-ref: error: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_ERROR
