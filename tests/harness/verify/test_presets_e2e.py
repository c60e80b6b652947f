"""End to end over the scenario presets and compiled streams: a DUT that does exactly what the
model says passes under every profile; a DUT that leaves the inner TTL alone fails rfc-strict
(A7) and only warns under secgw-library."""
from __future__ import annotations

import pytest
from verify_build import dut_output

from harness.scenario.model import Direction
from harness.scenario.presets import FLOWS, build_preset
from harness.stream.builder import build_packets
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import HeaderTemplate
from harness.verify.expect import expect
from harness.verify.expectations import Encrypt
from harness.verify.findings import Severity
from harness.verify.profiles import PROFILES, RFC_STRICT, SECGW_LIBRARY
from harness.verify.verdict import verify

PRESETS = ["tun44-aes128gcm", "tun66-aes256cbc-sha256-esn-w64", "tun46-aes128gcm", "tun64-aes128cbc-sha256",
           "trs4-aes128gcm", "trs6-chacha20", "tun44-null-gmac", "tun44-aes128ctr-sha1", "tun44-3descbc-sha256",
           "tun44-aes128gcm-legacy"]


def _host(prefix: str, n: int) -> str:
    import ipaddress
    return str(ipaddress.ip_network(prefix)[n])


def streams(name: str) -> list:
    sc = build_preset(name)
    inner = next(sa.inner_family for sa in sc.sas)
    flows = FLOWS[inner]
    in_sa = next(sa for sa in sc.sas if sa.direction is Direction.IN)
    out = []
    for sid, purpose in enumerate(("protect", "bypass", "discard"), start=1):
        prot, remote = flows[purpose]
        out.append(StreamSpec(sid, HeaderTemplate(_host(prot, 5), _host(remote, 9), tos=0x2A), count=5, port=1))
    prot, remote = flows["protect"]
    out.append(StreamSpec(10, HeaderTemplate(_host(remote, 9), _host(prot, 5), tos=0x2A), count=5, port=0,
                          esp=EspStreamSpec(in_sa.spec)))
    return [p for s in out for p in build_packets(s, sc)]


@pytest.mark.parametrize("name", PRESETS)
def test_model_faithful_dut_passes_every_profile(name: str) -> None:
    sc = build_preset(name)
    pkts = streams(name)
    for profile in PROFILES.values():
        exps = expect(sc, pkts, profile)
        kinds = {type(e).__name__ for e in exps}
        assert kinds == {"Encrypt", "ForwardClear", "Drop", "Decrypt"}, (name, profile.name, exps[-1])
        result = verify(sc, pkts, dut_output(exps), profile)
        assert result.passed and result.findings == (), (name, profile.name, result.render())


def test_ttl_keeping_dut_judged_per_profile() -> None:
    name = "tun44-aes128gcm"
    sc = build_preset(name)
    pkts = streams(name)
    library_out = dut_output(expect(sc, pkts, SECGW_LIBRARY))  # a DUT that never touches TTL
    lib = verify(sc, pkts, library_out, SECGW_LIBRARY)
    assert lib.passed
    strict = verify(sc, pkts, library_out, RFC_STRICT)
    assert not strict.passed
    assert {f.requirement for f in strict.findings if f.severity is Severity.FAIL} == {"A7"}
    n_forwarded = sum(1 for e in expect(sc, pkts, RFC_STRICT) if not type(e).__name__ == "Drop")
    assert len(strict.findings) == n_forwarded
    assert any(isinstance(e, Encrypt) for e in expect(sc, pkts, RFC_STRICT))
