"""Verification speed: decode + check of egress ESP frames, against a scapy check loop, same run.

Traffic: preset ``tun44-aes128gcm``, one protected stream of 64-byte clear IPv4/UDP frames
(Ethernet incl. FCS, the project's size convention; the 18-byte signature fills the UDP
payload) that the DUT must encrypt; the "DUT output" is what a correct gateway emits (built
with the harness codec from the model's expectations), so every frame takes the full path:
parse, open ESP, read the signature, correlate, check outer header, trailer and inner bytes,
feed the sequence/IV invariants.

Rows (packets per CPU second, best of ``--trials``; CPU time because the machine is shared):
- model: ``expect()`` (SPD, SAD, routing, per-packet expectation), computed once per run;
- check: everything after the model (observe + correlate + byte checks + invariants);
- verify: the whole ``verify()`` call (model included) on ``--packets`` packets;
- verify-100k: the whole ``verify()`` on 100,000 packets (the large-run target row): a clean
  run, so the fused single pass (``harness.verify.fused``) answers;
- general-100k: the same 100,000 packets through the general path alone (``verdict._verify``,
  what ``verify()`` runs when anything deviates): the before/after of the fused pass;
- scapy: a per-packet loop with scapy's ``SecurityAssociation.decrypt`` and field compares on
  ``--scapy-packets`` frames (scapy is ~1000x slower, so fewer packets);
- calibration: a bare ``AESGCM.encrypt`` loop on 64 bytes, the machine's speed in this run.
Ratios are against the scapy loop and the calibration of the same run. Target: whole
``verify()`` >= 300 k packets/s.

    .venv/bin/python benchmarks/bench_verify.py [--packets 50000] [--trials 3]
"""
from __future__ import annotations

import argparse
import sys
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
from harness.verify.bulk import cyclic_gc_paused  # noqa: E402
from harness.verify.checks import PacketChecker  # noqa: E402
from harness.verify.correlate import correlate  # noqa: E402
from harness.verify.expect import expect  # noqa: E402
from harness.verify.expectations import Encrypt  # noqa: E402
from harness.verify.observe import Observer  # noqa: E402
from harness.verify.profiles import SECGW_LIBRARY  # noqa: E402
from harness.verify.verdict import _by_key, _invariants, _verify, verify  # noqa: E402
from timing import least_cpu_s  # noqa: E402

PRESET = "tun44-aes128gcm"


BASELINE_CALL_US = 0.44  # one bare 64-byte AESGCM.encrypt call in shared/measured-baselines.md


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


def calibration(n: int, trials: int) -> float:
    """Bare AESGCM.encrypt calls per CPU second on a 64-byte payload (the machine's pace)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    encrypt, nonce, data, aad = AESGCM(bytes(16)).encrypt, bytes(12), bytes(64), bytes(8)
    return n / least_cpu_s(lambda: [encrypt(nonce, data, aad) for _ in range(n)], trials)


def setup(n: int):  # noqa: ANN201 - (scenario, sent, exps, received)
    scenario = build_preset(PRESET)
    stream = StreamSpec(1, HeaderTemplate("198.18.1.5", "198.19.1.9", proto=L4Proto.UDP), count=n,
                        sizes=SizeSpec.fixed(64), port=1)
    sent = build_packets(stream, scenario)
    exps = expect(scenario, sent, SECGW_LIBRARY)
    return scenario, sent, exps, {0: dut_frames(exps), 1: []}


def check_only(scenario, exps, received, profile) -> int:
    with cyclic_gc_paused():  # as verify() runs it
        return _check_only(scenario, exps, received, profile)


def _check_only(scenario, exps, received, profile) -> int:
    deliveries, delivering, _ = _by_key(exps)
    observer = Observer([sa for sa in scenario.sas if sa.direction is Direction.OUT])
    rxs = observer.observe_all(received)
    corr = correlate(deliveries, rxs)
    checker = PacketChecker(profile, observer)
    bad = sum(len(checker.check(delivering[k], rx)) for k, rx in corr.matches.items())
    return bad + len(_invariants(scenario, rxs, profile).findings)


def general_verify(scenario, sent, received, profile):  # noqa: ANN001, ANN201 - as verify() without the fused pass
    with cyclic_gc_paused():
        return _verify(scenario, sent, received, profile, None)


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
    ap.add_argument("--large", type=int, default=100_000, help="packets of the verify-100k row")
    ap.add_argument("--scapy-packets", type=int, default=1_000)
    ap.add_argument("--trials", type=int, default=3)
    args = ap.parse_args()
    profile = SECGW_LIBRARY
    scenario, sent, exps, received = setup(args.packets)
    n, ns = len(sent), min(args.scapy_packets, len(sent))
    assert check_only(scenario, exps, received, profile) == 0, "the reference output must pass"
    assert verify(scenario, sent, received, profile).passed
    assert scapy_loop(scenario, exps[:ns], received[0][:ns]) == 0, "scapy disagrees with the codec"
    t_model = least_cpu_s(lambda: expect(scenario, sent, profile), args.trials)
    t_check = least_cpu_s(lambda: check_only(scenario, exps, received, profile), args.trials)
    t_verify = least_cpu_s(lambda: verify(scenario, sent, received, profile), args.trials)
    big = setup(args.large)
    result = verify(big[0], big[1], big[3], profile)
    assert result.passed and result.correlation.totals().delivered == args.large
    t_big = least_cpu_s(lambda: verify(big[0], big[1], big[3], profile), args.trials)
    general = general_verify(big[0], big[1], big[3], profile)
    assert general.findings == result.findings and general.correlation.totals() == result.correlation.totals()
    t_general = least_cpu_s(lambda: general_verify(big[0], big[1], big[3], profile), args.trials)
    t_scapy = least_cpu_s(lambda: scapy_loop(scenario, exps[:ns], received[0][:ns]), 1)
    calib = calibration(200_000, args.trials)
    scapy_pps = ns / t_scapy
    frame_len = len(received[0][0][1])
    print(f"bench_verify: {PRESET}, {n} packets (64-byte clear IPv4/UDP frames, {frame_len}-byte ESP frames "
          f"without FCS), best of {args.trials}, CPU time")
    print(f"{'row':<12}{'packets/s':>14}{'us/packet':>12}{'x scapy':>10}{'/ calib':>10}")
    for label, pps in (("model", n / t_model), ("check", n / t_check), ("verify", n / t_verify),
                       (f"verify-{args.large // 1000}k", args.large / t_big),
                       (f"general-{args.large // 1000}k", args.large / t_general), ("scapy", scapy_pps),
                       ("calibration", calib)):
        print(f"{label:<12}{pps:>14,.0f}{1e6 / pps:>12.2f}{pps / scapy_pps:>10.1f}{pps / calib:>10.3f}")
    target = 300_000
    big_pps = args.large / t_big
    print(f"whole verify() on {args.large:,} packets: {big_pps:,.0f} packets/s = {big_pps / target:.2f} of the "
          f"{target:,} target ({'met' if big_pps >= target else 'NOT met'}); calibration: bare AESGCM.encrypt "
          f"{calib:,.0f}/s, verify = {big_pps / calib:.3f} of it; fused vs general path in this run: "
          f"{t_general / t_big:.2f}x")
    # the same work at the baseline machine's pace (shared/measured-baselines.md: 0.44 us per bare call)
    at_baseline = big_pps * (1e6 / BASELINE_CALL_US) / calib
    print(f"at the baseline machine's 0.44 us per bare AESGCM call this run's verify() is {at_baseline:,.0f} "
          f"packets/s = {at_baseline / target:.2f} of the target (this machine: {1e6 / calib:.2f} us per call)")


if __name__ == "__main__":
    main()
