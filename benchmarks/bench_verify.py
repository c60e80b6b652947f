"""Verification speed: decode + check of egress ESP frames, against a scapy check loop, same run.

Traffic: preset ``tun44-aes128gcm``, one protected stream of 64-byte clear frames (IPv4, protocol 253 of
RFC 3692 so the signature fits) (Ethernet
incl. FCS, the project's size convention) that the DUT must encrypt; the "DUT output" is what a
correct gateway emits (built with the harness codec from the model's expectations), so every
frame takes the full path: parse, open ESP, read the signature, correlate, check outer header,
trailer and inner bytes, feed the sequence/IV invariants.

Rows (packets per second, best of ``--trials``):
- model: ``expect()`` (SPD, SAD, routing, per-packet expectation), computed once per run;
- check: everything after the model (observe + correlate + byte checks + invariants);
- verify: the whole ``verify()`` call (model included);
- scapy: a per-packet loop with scapy's ``SecurityAssociation.decrypt`` and field compares on
  ``--scapy-packets`` frames (scapy is ~1000x slower, so fewer packets).
Ratios are against the scapy loop of the same run. Target: check >= 300 k packets/s.

    .venv/bin/python benchmarks/bench_verify.py [--packets 50000] [--trials 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.codec.esp_encode import EspEncoder  # noqa: E402
from harness.codec.spec import OuterFields  # noqa: E402
from harness.scenario.model import Direction  # noqa: E402
from harness.scenario.presets import build_preset  # noqa: E402
from harness.stream.builder import build_packets  # noqa: E402
from harness.stream.sizes import SizeSpec  # noqa: E402
from harness.stream.spec import StreamSpec  # noqa: E402
from harness.stream.template import HeaderTemplate, L4Proto  # noqa: E402
from harness.verify.checks import PacketChecker  # noqa: E402
from harness.verify.correlate import correlate  # noqa: E402
from harness.verify.expect import expect  # noqa: E402
from harness.verify.expectations import Encrypt  # noqa: E402
from harness.verify.observe import Observer  # noqa: E402
from harness.verify.profiles import SECGW_LIBRARY  # noqa: E402
from harness.verify.verdict import _by_key, _invariants, verify  # noqa: E402

PRESET = "tun44-aes128gcm"


def dut_frames(exps: list) -> list[tuple[int, bytes]]:
    """What a correct DUT sends on port 0 for these Encrypt expectations."""
    out = []
    encoders: dict[int, EspEncoder] = {}
    for i, e in enumerate(exps):
        assert isinstance(e, Encrypt)
        enc = encoders.setdefault(e.spec.spi, EspEncoder(e.spec))
        o = e.outer
        outer = OuterFields(ttl=o.ttl or 64, ident=o.ident or 0, df=bool(o.df))
        out.append((i, e.eth_dst + e.eth_src + b"\x08\x00" + enc.encode(e.inner, e.seq, outer=outer)))
    return out


def timed(fn, trials: int) -> float:
    best = float("inf")
    for _ in range(trials):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def check_only(scenario, exps, received, profile) -> int:
    deliveries, delivering, _ = _by_key(exps)
    observer = Observer([sa for sa in scenario.sas if sa.direction is Direction.OUT])
    rxs = observer.observe_all(received)
    corr = correlate(deliveries, rxs)
    checker = PacketChecker(profile, observer)
    bad = sum(len(checker.check(delivering[k], rx)) for k, rx in corr.matches.items())
    return bad + len(_invariants(scenario, rxs, profile).findings)


def scapy_loop(scenario, exps, frames) -> int:
    """Reference: scapy dissects, decrypts and compares the same fields per packet."""
    from scapy.layers.inet import IP
    from scapy.layers.ipsec import ESP, SecurityAssociation
    from scapy.layers.l2 import Ether

    spec = next(sa.spec for sa in scenario.sas if sa.direction is Direction.OUT)
    sa = SecurityAssociation(proto=ESP, spi=spec.spi, crypt_algo="AES-GCM", crypt_key=spec.aead_key,
                             tunnel_header=IP(src=str(spec.tunnel_src), dst=str(spec.tunnel_dst)))
    bad = 0
    for e, (_, frame) in zip(exps, frames):
        pkt = Ether(frame)
        outer = pkt[IP]
        ok = (outer.src == str(e.outer.src) and outer.dst == str(e.outer.dst) and outer.ttl == e.outer.ttl
              and outer.tos == e.outer.tos and outer.id == e.outer.ident and outer.proto == 50)
        inner = sa.decrypt(outer.copy())
        ok = ok and bytes(inner) == e.inner
        bad += not ok
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=int, default=50_000)
    ap.add_argument("--scapy-packets", type=int, default=1_000)
    ap.add_argument("--trials", type=int, default=3)
    args = ap.parse_args()
    scenario = build_preset(PRESET)
    stream = StreamSpec(1, HeaderTemplate("198.18.1.5", "198.19.1.9", proto=L4Proto.NONE), count=args.packets,
                        sizes=SizeSpec.fixed(64), port=1)
    sent = build_packets(stream, scenario)
    profile = SECGW_LIBRARY
    exps = expect(scenario, sent, profile)
    received = {0: dut_frames(exps), 1: []}
    n, ns = len(sent), min(args.scapy_packets, len(sent))
    assert check_only(scenario, exps, received, profile) == 0, "the reference output must pass"
    assert verify(scenario, sent, received, profile).passed
    assert scapy_loop(scenario, exps[:ns], received[0][:ns]) == 0, "scapy disagrees with the codec"
    t_model = timed(lambda: expect(scenario, sent, profile), args.trials)
    t_check = timed(lambda: check_only(scenario, exps, received, profile), args.trials)
    t_verify = timed(lambda: verify(scenario, sent, received, profile), args.trials)
    t_scapy = timed(lambda: scapy_loop(scenario, exps[:ns], received[0][:ns]), 1)
    scapy_pps = ns / t_scapy
    frame_len = len(received[0][0][1])
    print(f"bench_verify: {PRESET}, {n} packets (64-byte clear frames, {frame_len}-byte ESP frames "
          f"without FCS), best of {args.trials}")
    print(f"{'row':<8}{'packets/s':>14}{'us/packet':>12}{'x scapy':>10}")
    for label, pps in (("model", n / t_model), ("check", n / t_check), ("verify", n / t_verify),
                       ("scapy", scapy_pps)):
        print(f"{label:<8}{pps:>14,.0f}{1e6 / pps:>12.2f}{pps / scapy_pps:>10.1f}")
    target = 300_000
    print(f"check target {target:,} packets/s: {'met' if n / t_check >= target else 'NOT met'}")


if __name__ == "__main__":
    main()
