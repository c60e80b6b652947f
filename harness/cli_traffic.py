"""``ipsec-harness generate | verify | inspect``: the commands for people who bring their own
traffic generator (TRex, Spirent, tcpreplay, ...). See docs/bring-your-own-generator.md.

- ``generate``: scenario + streams -> DIR with gateway.cfg/.args, tx pcaps per port, manifest, esp_sa.
- ``verify``: DIR + captures of the DUT's ports -> verdict (exit 0 pass, 1 fail).
- ``inspect``: cfg + capture -> per-ESP-packet decryption report with findings (exit 0/1).

Bad input of any kind is one line on stderr and exit 2, never a traceback.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path

from harness.cli_args import positive_int
from harness.esp_inspect import inspect_frames
from harness.scenario.cfg_reader import scenario_from_cfg
from harness.traffic_dir import (
    ARGS_NAME,
    TrafficError,
    choose_streams,
    generate,
    load_streams,
    parse_rx,
    read_records,
    resolve_scenario,
    verify_dir,
)
from harness.verify.profiles import PROFILES

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]


def _guarded(command: str) -> Callable[[Handler], Handler]:
    """Turn input errors into one stderr line and exit 2."""
    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(ns: argparse.Namespace) -> int:
            try:
                return handler(ns)
            except (TrafficError, ValueError) as exc:
                message = str(exc).replace("\n", " ")
            except OSError as exc:
                message = f"{exc.filename or ''}: {exc.strerror or exc}"
            print(f"ipsec-harness {command}: error: {message}", file=sys.stderr)
            return EXIT_USAGE
        return run
    return wrap


@_guarded("generate")
def _generate(ns: argparse.Namespace) -> int:
    scenario = resolve_scenario(ns.scenario)
    given = load_streams(ns.streams) if ns.streams else None
    streams = choose_streams(scenario, given, ns.count, ns.size)
    manifest = generate(scenario, streams, ns.out, ns.profile)
    out = Path(ns.out)
    print(f"scenario {scenario.name}: {len(streams)} streams, profile {manifest.profile}")
    for tx in manifest.tx:
        print(f"  {out / tx.pcap}: {tx.frames} frames into DUT port {tx.port}")
    print(f"  {out / 'gateway.cfg'} with options: {(out / ARGS_NAME).read_text().strip()}")
    print(f"  {out / 'manifest.json'}, {out / 'esp_sa'} (Wireshark ESP SA table)")
    rx = " ".join(f"--rx {p.id}=CAPTURE-port{p.id}.pcap" for p in scenario.ports)
    print(f"next: replay the tx pcaps, capture every DUT port, then: ipsec-harness verify {out} {rx}")
    return EXIT_PASS


@_guarded("verify")
def _verify(ns: argparse.Namespace) -> int:
    captures = parse_rx(ns.rx)
    verdict = verify_dir(ns.dir, captures, ns.profile)
    oracles = []
    if ns.oracle:
        from harness.traffic_oracle import oracle_check  # noqa: PLC0415 - optional; may load scapy

        oracles = [oracle_check(verdict.scenario, path, [f for _, f in read_records(path)])
                   for _, path in sorted(captures.items())]
    ok = verdict.result.passed and not any(o.disagreements for o in oracles)
    if ns.json:
        doc = {"passed": ok, "verify": verdict.result.to_json(),
               "captures": {str(p): {"file": str(captures[p]), "frames": verdict.captured[p],
                                     "tester_frames_filtered": verdict.filtered[p]} for p in sorted(captures)},
               "oracles": [o.to_json() for o in oracles]}
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        for port in sorted(captures):
            print(f"capture port {port}: {captures[port]}: {verdict.captured[port]} frames, "
                  f"{verdict.filtered[port]} tester frames filtered (Ethernet source = tester MAC)")
        print(verdict.result.render(max_findings=ns.max_findings))
        for o in oracles:
            print(o.render())
    return EXIT_PASS if ok else EXIT_FAIL


def _dut_args(cfg: Path, ns: argparse.Namespace) -> list[str]:
    """gateway.args next to the cfg (as ``generate`` writes it), then -e/--engine from the command line."""
    sibling = cfg.parent / ARGS_NAME
    args = sibling.read_text().split() if sibling.is_file() else []
    if ns.esn:
        args.append("-e")
    if ns.engine:
        args += ["--engine", ns.engine]
    return args


@_guarded("inspect")
def _inspect(ns: argparse.Namespace) -> int:
    cfg = Path(ns.cfg)
    try:
        text = cfg.read_text()
    except OSError as exc:
        raise TrafficError(f"{cfg}: cannot read cfg: {exc.strerror}") from None
    scenario = scenario_from_cfg(text, str(cfg), args=_dut_args(cfg, ns))
    report = inspect_frames(scenario, [f for _, f in read_records(ns.capture)])
    if ns.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(report.render(max_packets=ns.max_packets))
    return EXIT_PASS if report.passed else EXIT_FAIL


def add_subparsers(subparsers: argparse._SubParsersAction) -> None:
    """Mount generate, verify and inspect on the ``ipsec-harness`` parser."""
    gen = subparsers.add_parser("generate", help="write cfg, tx pcaps, manifest and esp_sa for an external generator")
    gen.add_argument("--scenario", required=True, metavar="NAME_OR_FILE",
                     help="preset name (e.g. tun44-aes128gcm) or scenario JSON file")
    gen.add_argument("--streams", metavar="FILE.json", help="stream specs (one object or a list); "
                     "default: one stream per SP rule of the scenario")
    gen.add_argument("--count", type=positive_int, help="packets per stream (default 100; overrides --streams counts)")
    gen.add_argument("--size", type=positive_int, metavar="BYTES",
                     help="frame size incl. FCS (default 128; overrides --streams sizes)")
    gen.add_argument("--profile", choices=sorted(PROFILES), help="DUT profile recorded for verify "
                     "(default: secgw-library, or secgw-legacy for a legacy-engine scenario)")
    gen.add_argument("--out", required=True, metavar="DIR", help="output directory")
    gen.set_defaults(handler=_generate)

    ver = subparsers.add_parser("verify", help="judge captures of the DUT's ports against a generated DIR")
    ver.add_argument("dir", metavar="DIR", help="directory written by generate")
    ver.add_argument("--rx", action="append", required=True, metavar="PORT=CAPTURE.pcap",
                     help="capture of what the DUT sent on PORT (repeat per port)")
    ver.add_argument("--profile", choices=sorted(PROFILES), help="override the manifest's DUT profile")
    ver.add_argument("--json", action="store_true", help="print the result as JSON")
    ver.add_argument("--oracle", action="store_true", help="cross-check ICVs with tshark (or scapy)")
    ver.add_argument("--max-findings", type=positive_int, default=50, help="findings printed (default 50)")
    ver.set_defaults(handler=_verify)

    ins = subparsers.add_parser("inspect", help="decrypt every ESP packet of a capture and report findings")
    ins.add_argument("-f", dest="cfg", required=True, metavar="CFG", help="ipsec-secgw cfg with the SAs")
    ins.add_argument("capture", metavar="CAPTURE.pcap")
    ins.add_argument("-e", dest="esn", action="store_true", help="ESN on for every SA (secgw -e)")
    ins.add_argument("--engine", choices=("library", "legacy"), help="secgw engine (default library)")
    ins.add_argument("--json", action="store_true", help="print the report as JSON")
    ins.add_argument("--max-packets", type=positive_int, default=1000, help="packet lines printed (default 1000)")
    ins.set_defaults(handler=_inspect)
