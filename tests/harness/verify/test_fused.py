"""The fused single pass (``fused``) and the general path give identical verdicts: the same
findings, counts, invariants and exercised requirements, on good runs (where the fused pass must
be the one answering) and on faulty ones (where it must step aside), under every profile.

DUT output is built with the harness codec from the model's expectations (never gateway_ref);
faults are edits a broken gateway could make. Addresses come from the presets (198.18.0.0/15).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from verify_build import dut_output, encrypt_frame

from harness.codec.checksum import internet_checksum
from harness.scenario.model import Family
from harness.scenario.presets import FLOWS, build_preset
from harness.stream.builder import build_packets
from harness.stream.sizes import SizeSpec
from harness.stream.spec import StreamSpec
from harness.stream.template import HeaderTemplate, L4Proto
from harness.verify.bulk import cyclic_gc_paused
from harness.verify.expect import expect
from harness.verify.expectations import Encrypt
from harness.verify.fused import fused_verify
from harness.verify.profiles import PROFILES
from harness.verify.verdict import _verify, verify

PROFILE_LIST = list(PROFILES.values())
PRESETS = ["tun44-aes128gcm", "tun64-aes128cbc-sha256", "tun44-chacha20"]


def _host(prefix: str, n: int) -> str:
    return str(ipaddress.ip_network(prefix)[n])


def _run(preset: str, profile, *, sizes: SizeSpec | None = None, count: int = 12):
    """Two protected streams (interleaved flows on one SA) and a discarded one."""
    sc = build_preset(preset)
    fam = next(sa.inner_family for sa in sc.sas)
    flows = FLOWS[fam]
    (p, r), (dp, dr) = flows["protect"], flows["discard"]
    specs = [StreamSpec(1, HeaderTemplate(_host(p, 5), _host(r, 9), proto=L4Proto.UDP), count=count,
                        sizes=sizes or SizeSpec.fixed(64 if fam is Family.IPV4 else 96), port=1),
             StreamSpec(2, HeaderTemplate(_host(p, 6), _host(r, 10), tos=0x2A), count=count, port=1,
                        sizes=SizeSpec.fixed(128)),
             StreamSpec(3, HeaderTemplate(_host(dp, 5), _host(dr, 9)), count=4, port=1, sizes=SizeSpec.fixed(128))]
    sent = [pkt for spec in specs for pkt in build_packets(spec, sc)]
    sent.sort(key=lambda s: (s.seq, s.stream_id))  # interleave the streams
    exps = expect(sc, sent, profile)
    return sc, sent, exps, dut_output(exps)


def _general(sc, sent, received, profile, counters=None):
    with cyclic_gc_paused():
        return _verify(sc, sent, received, profile, counters)


def _same(a, b) -> None:
    assert a.findings == b.findings
    assert a.expected_kinds == b.expected_kinds and a.expected_drops == b.expected_drops
    assert a.sa_invariants == b.sa_invariants
    assert a.requirements_exercised == b.requirements_exercised
    ca, cb = a.correlation, b.correlation
    assert (ca.per_stream, ca.per_sa, ca.unexpected, ca.lost) == (cb.per_stream, cb.per_sa, cb.unexpected, cb.lost)
    assert dict(ca.matches) == dict(cb.matches)
    assert a.to_json() == b.to_json()


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
@pytest.mark.parametrize("preset", PRESETS)
def test_good_runs_take_the_fused_pass_and_agree(preset: str, profile) -> None:
    sc, sent, exps, out = _run(preset, profile)
    assert fused_verify(sc, sent, out, profile) is not None
    result = verify(sc, sent, out, profile)
    assert result.passed and result.correlation.totals().delivered == 24
    _same(result, _general(sc, sent, out, profile))
    counters = {"sp-discard": 4, "replay": 1}  # A14: one counter off, one unexpected
    _same(verify(sc, sent, out, profile, dut_counters=counters), _general(sc, sent, out, profile, counters))


def test_ethernet_padding_and_imix_sizes_are_still_fused() -> None:
    profile = PROFILES["secgw-library"]
    sc, sent, exps, out = _run("tun44-aes128gcm", profile, sizes=SizeSpec.imix())
    out[0] = [(ts, frame + bytes(4)) for ts, frame in out[0]]
    assert fused_verify(sc, sent, out, profile) is not None
    _same(verify(sc, sent, out, profile), _general(sc, sent, out, profile))


def _edit(out: dict, i: int, fn: Callable[[bytes], bytes]) -> dict:
    frames = list(out[0])
    frames[i] = (frames[i][0], fn(frames[i][1]))
    return {**out, 0: frames}


def _set(offset: int, value: int, fix_checksum: bool = True) -> Callable[[bytes], bytes]:
    def edit(frame: bytes) -> bytes:
        b = bytearray(frame)
        b[offset] = value
        if fix_checksum:
            b[24:26] = b"\x00\x00"
            b[24:26] = internet_checksum(bytes(b[14:34])).to_bytes(2, "big")
        return bytes(b)
    return edit


def _encrypts(exps) -> list[Encrypt]:
    return [e for e in exps if isinstance(e, Encrypt)]


FAULTS: dict[str, Callable] = {
    "icv": lambda out, exps: _edit(out, 3, lambda f: f[:-1] + bytes((f[-1] ^ 1,))),
    "outer-ttl": lambda out, exps: _edit(out, 2, _set(22, 63)),
    "outer-id": lambda out, exps: _edit(out, 2, _set(19, 0x77)),
    "outer-df": lambda out, exps: _edit(out, 2, _set(20, 0x40)),
    "outer-tos": lambda out, exps: _edit(out, 2, _set(15, 0x04)),
    "checksum": lambda out, exps: _edit(out, 2, _set(25, 0x12, fix_checksum=False)),
    "eth-src": lambda out, exps: _edit(out, 1, lambda f: f[:6] + bytes(6) + f[12:]),
    "duplicate": lambda out, exps: {**out, 0: out[0] + [out[0][5]]},
    "lost": lambda out, exps: {**out, 0: out[0][:4] + out[0][5:]},
    "reorder": lambda out, exps: {**out, 0: [out[0][0], out[0][2], out[0][1]] + out[0][3:]},
    "wrong-port": lambda out, exps: {0: out[0][1:], 1: out[1] + out[0][:1]},
    "padding": lambda out, exps: {**out, 0: [(0, encrypt_frame(_encrypts(exps)[0], padding=b"\x09\x09"))]
                                  + out[0][1:]},
    "inner-ttl": lambda out, exps: {**out, 0: [(0, encrypt_frame(_encrypts(exps)[0], inner=_ttl(_encrypts(exps)[0])))]
                                    + out[0][1:]},
    "esp-seq": lambda out, exps: {**out, 0: out[0][:6] + [(6, encrypt_frame(_encrypts(exps)[6], seq=99))]
                                  + out[0][7:]},
    "iv-reuse": lambda out, exps: {**out, 0: out[0][:6] + [(6, encrypt_frame(_encrypts(exps)[6], iv=_iv_of(out[0][5][1])))]
                                   + out[0][7:]},
    "clear-leak": lambda out, exps: {**out, 0: out[0] + [(99, _leak(exps))]},
}


def _ttl(e: Encrypt) -> bytes:
    b = bytearray(e.inner)
    b[8] = (b[8] - 1) % 256
    b[10:12] = b"\x00\x00"
    b[10:12] = internet_checksum(bytes(b[:20])).to_bytes(2, "big")
    return bytes(b)


def _iv_of(frame: bytes) -> bytes:
    return frame[42:50]


def _leak(exps) -> bytes:
    e = _encrypts(exps)[0]
    return e.eth_dst + e.eth_src + b"\x08\x00" + e.inner  # the protected packet sent in clear


# rfc-strict prescribes no outer TTL (only non-zero), ID (RFC 6864) or DF: these edits are fine there
NOT_FAULTS = {("outer-ttl", "rfc-strict"), ("outer-id", "rfc-strict"), ("outer-df", "rfc-strict")}


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_faulty_runs_leave_the_fused_pass_and_agree(fault: str, profile) -> None:
    sc, sent, exps, out = _run("tun44-aes128gcm", profile)
    bad = FAULTS[fault](out, exps)
    general = _general(sc, sent, bad, profile)
    _same(verify(sc, sent, bad, profile), general)
    t = general.correlation.totals()
    clean = not general.findings and t.lost == t.duplicated == t.reordered == t.unexpected == 0
    assert clean == ((fault, profile.name) in NOT_FAULTS)  # every other edit is seen
    assert (fused_verify(sc, sent, bad, profile) is not None) == clean  # the fused pass answers only clean runs


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_unusual_runs_are_left_to_the_general_path(profile) -> None:
    """Inbound ESP (stateful decryption) is never fused; the verdicts still agree."""
    from harness.stream.spec import EspStreamSpec

    sc = build_preset("tun44-aes128gcm")
    (p, r) = FLOWS[Family.IPV4]["protect"]
    in_sa = next(sa for sa in sc.sas if sa.direction.value == "in")
    sent = build_packets(StreamSpec(5, HeaderTemplate(_host(r, 9), _host(p, 5)), count=6, port=0,
                                    esp=EspStreamSpec(in_sa.spec, 1)), sc)
    out = dut_output(expect(sc, sent, profile))
    assert fused_verify(sc, sent, out, profile) is None
    _same(verify(sc, sent, out, profile), _general(sc, sent, out, profile))


def test_a_capture_out_of_send_order_is_matched_by_key() -> None:
    """When a port's capture is not in the plan's order the plan is looked up by key: a plan
    listing two packets the other way round still matches every frame to its packet."""
    from harness.verify.fused import _scan
    from harness.verify.fused_plan import plan_sent
    from harness.verify.observe import Observer

    profile = PROFILES["secgw-library"]
    sc, sent, exps, out = _run("tun44-aes128gcm", profile)
    observer = Observer([sa for sa in sc.sas if sa.direction.value == "out"])
    plan = plan_sent(sc, sent, profile, observer)
    in_capture_order = list(plan.keys)
    for lst in (plan.keys, plan.numbers, plan.seqs, plan.frames):
        lst[0], lst[1] = lst[1], lst[0]
    assert plan.keys != in_capture_order and plan.index() is not None
    seen = _scan(plan, out, observer)
    assert seen is not None and seen.matched[0].keys == in_capture_order
    plan.seqs[0], plan.seqs[1] = plan.seqs[1], plan.seqs[0]  # now the model's numbers disagree
    assert _scan(plan, out, observer) is None
