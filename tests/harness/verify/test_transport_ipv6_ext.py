"""Transport mode over IPv6 with extension headers (RFC 4303 §3.1.1, RFC 8200 §4.1): ESP after
hop-by-hop, routing and destination options passes; ESP before the routing header is an ESP-POS
finding; destination options after ESP meet the RFC but not secgw's placement. The DUT output is
built with the harness codec from the model's expectations (never with gateway_ref)."""
from __future__ import annotations

import ipaddress

import pytest
from verify_build import dut_output

from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv6 import parse_ipv6
from harness.scenario.presets import FLOWS, build_preset
from harness.scenario.model import Family
from harness.stream.builder import build_packets
from harness.stream.spec import StreamSpec
from harness.stream.template import ExtKind, HeaderTemplate
from harness.verify.expect import expect
from harness.verify.expectations import Encrypt
from harness.verify.findings import Severity
from harness.verify.profiles import PROFILES, RFC_STRICT, SECGW_LIBRARY
from harness.verify.verdict import verify

EXT = (ExtKind.HOP_BY_HOP, ExtKind.ROUTING, ExtKind.DEST_OPTS)


def _run(profile):
    sc = build_preset("trs6-aes128gcm")
    prot, remote = FLOWS[Family.IPV6]["protect"]
    src, dst = str(ipaddress.ip_network(prot)[5]), str(ipaddress.ip_network(remote)[9])
    sent = build_packets(StreamSpec(1, HeaderTemplate(src, dst, ext_headers=EXT), count=4, port=1), sc)
    exps = expect(sc, sent, profile)
    assert [type(e) for e in exps] == [Encrypt] * 4
    return sc, sent, exps


def _esp_after(e: Encrypt, cut: int) -> bytes:
    """``e``'s packet with ESP inserted after its first ``cut`` extension headers (the rest are
    encrypted with the payload): the frame a gateway placing ESP there would send."""
    view = parse_ipv6(e.inner)
    kinds = [kind for kind, _, _ in view.ext]
    split = view.ext[cut][1] if cut < len(view.ext) else view.upper_offset
    inside_nh = kinds[cut] if cut < len(kinds) else view.upper_proto
    head = bytearray(e.inner[:split])
    nh_at = 6 if cut == 0 else view.ext[cut - 1][1]
    head[nh_at] = 50
    esp = EspEncoder(e.spec).esp_payload(e.inner[split:], e.seq, inside_nh)
    head[4:6] = (len(head) - 40 + len(esp)).to_bytes(2, "big")
    return e.eth_dst + e.eth_src + b"\x86\xdd" + bytes(head) + esp


def _with_frames(exps, cut: int) -> dict[int, list[tuple[int, bytes]]]:
    out = dut_output(exps)
    port = exps[0].port
    out[port] = [(i, _esp_after(e, cut)) for i, e in enumerate(exps)]
    return out


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=lambda p: p.name)
def test_esp_after_all_extension_headers_passes(profile) -> None:
    sc, sent, exps = _run(profile)
    assert len(parse_ipv6(exps[0].inner).ext) == 3
    out = dut_output(exps)  # the codec places ESP after every extension header
    hdr = parse_ipv6(out[exps[0].port][0][1][14:])
    assert [k for k, _, _ in hdr.ext] == [0, 43, 60] and hdr.upper_proto == 50 and hdr.next_header == 0
    result = verify(sc, sent, out, profile)
    assert result.findings == () and result.correlation.totals().delivered == 4
    assert verify(sc, sent, _with_frames(exps, 3), profile).findings == ()  # same frames, built by hand


@pytest.mark.parametrize("profile", list(PROFILES.values()), ids=lambda p: p.name)
def test_esp_before_the_routing_header_is_a_finding(profile) -> None:
    sc, sent, exps = _run(profile)
    result = verify(sc, sent, _with_frames(exps, 1), profile)
    assert not result.passed
    assert {(f.requirement, f.field, f.observed) for f in result.findings} == {
        ("ESP-POS", "esp.position", "before routing")}
    assert len(result.findings) == 4 and all(f.severity is Severity.FAIL for f in result.findings)
    before_hbh = verify(sc, sent, _with_frames(exps, 0), profile)
    assert {f.observed for f in before_hbh.findings} == {"before hop-by-hop, routing"}


def test_destination_options_after_esp_meet_the_rfc_but_not_secgw() -> None:
    sc, sent, exps = _run(RFC_STRICT)
    assert verify(sc, sent, _with_frames(exps, 2), RFC_STRICT).findings == ()
    sc, sent, exps = _run(SECGW_LIBRARY)
    result = verify(sc, sent, _with_frames(exps, 2), SECGW_LIBRARY)
    assert result.passed
    assert {(f.requirement, f.severity) for f in result.findings} == {("SG-ESP-AFTER-EXT", Severity.WARN)}


def test_outer_chain_that_never_reaches_esp_is_an_outer_finding() -> None:
    """check_outer walks the chain: the last extension header must name ESP (50)."""
    from harness.verify.checks_outer import check_outer
    from harness.verify.findings import PacketRef

    _sc, _sent, exps = _run(SECGW_LIBRARY)
    good = _esp_after(exps[0], 3)
    assert check_outer(exps[0], good, SECGW_LIBRARY, PacketRef()) == []
    bad = bytearray(good)
    bad[14 + parse_ipv6(good[14:]).ext[-1][1]] = 17
    (finding,) = check_outer(exps[0], bytes(bad), SECGW_LIBRARY, PacketRef())
    assert (finding.requirement, finding.field, finding.expected, finding.observed) == ("A6", "outer.next_header",
                                                                                        50, 17)
    assert "destination-options" in finding.detail
