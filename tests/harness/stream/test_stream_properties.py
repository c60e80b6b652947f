"""Property tests: any template with any variations builds frames whose checksums scapy
accepts, whose varied fields hold values in range, and whose signature carries the index;
stream specs survive a JSON round trip."""
from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from harness.stream import (
    HeaderTemplate,
    L4Proto,
    PortMacs,
    RawTemplate,
    SizeBasis,
    SizeSpec,
    StreamSpec,
    Variation,
    VarField,
    VarOp,
    build_frames,
    find_signature,
)

MACS = PortMacs(bytes(6), bytes(6))
V4 = ipaddress.ip_network("198.18.0.0/15")
V6 = ipaddress.ip_network("2001:2::/48")


@st.composite
def streams(draw: st.DrawFn) -> StreamSpec:
    v6 = draw(st.booleans())
    net = V6 if v6 else V4
    addr = st.integers(0, net.num_addresses - 1).map(lambda i: str(net.network_address + i))
    proto = draw(st.sampled_from([L4Proto.UDP, L4Proto.TCP]))
    template = HeaderTemplate(draw(addr), draw(addr), proto, sport=draw(st.integers(0, 65535)),
                              dport=draw(st.integers(0, 65535)), tos=draw(st.integers(0, 255)),
                              ttl=draw(st.integers(0, 255)))
    if draw(st.booleans()):
        template = RawTemplate(template.headers())  # type: ignore[assignment]
    fields = [VarField.SRC, VarField.DST, VarField.SPORT, VarField.DPORT, VarField.TOS, VarField.TTL]
    fields.append(VarField.FLOW_LABEL if v6 else VarField.IP_ID)
    variations = []
    for field in draw(st.lists(st.sampled_from(fields), unique=True, max_size=4)):
        op = draw(st.sampled_from(list(VarOp)))
        if field in (VarField.SRC, VarField.DST):
            lo, hi = sorted((draw(addr), draw(addr)), key=lambda a: int(ipaddress.ip_address(a)))
        else:
            top = {VarField.TOS: 255, VarField.TTL: 255, VarField.FLOW_LABEL: 0xFFFFF}.get(field, 65535)
            lo, hi = sorted((draw(st.integers(0, top)), draw(st.integers(0, top))))
        variations.append(Variation(field, op, lo, hi, draw(st.integers(1, 1000))))
    sizes = SizeSpec.of(draw(st.lists(st.integers(100, 600), min_size=1, max_size=3)), SizeBasis.L3)
    return StreamSpec(draw(st.integers(0, 65535)), template, draw(st.integers(1, 6)), sizes,
                      variations=tuple(variations), seed=draw(st.integers(0, 99)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_built_frames_have_valid_checksums_and_signatures(spec: StreamSpec) -> None:
    for k, frame in enumerate(build_frames(spec, MACS)):
        pkt = Ether(frame)
        ip_layer = IPv6 if pkt.haslayer(IPv6) else IP
        l4_layer = TCP if pkt.haslayer(TCP) else UDP
        fresh = Ether(frame)
        del fresh[l4_layer].chksum
        if ip_layer is IP:
            del fresh[IP].chksum
        again = Ether(bytes(fresh))
        assert (pkt[l4_layer].chksum - again[l4_layer].chksum) % 0xFFFF == 0
        if ip_layer is IP:
            assert (pkt[IP].chksum - again[IP].chksum) % 0xFFFF == 0
        for var in spec.variations:
            lo, hi = var.bounds
            value = {VarField.SRC: lambda: int(ipaddress.ip_address(pkt[ip_layer].src)),
                     VarField.DST: lambda: int(ipaddress.ip_address(pkt[ip_layer].dst)),
                     VarField.SPORT: lambda: pkt[l4_layer].sport, VarField.DPORT: lambda: pkt[l4_layer].dport,
                     VarField.TOS: lambda: pkt[IP].tos if ip_layer is IP else pkt[IPv6].tc,
                     VarField.TTL: lambda: pkt[IP].ttl if ip_layer is IP else pkt[IPv6].hlim,
                     VarField.FLOW_LABEL: lambda: pkt[IPv6].fl, VarField.IP_ID: lambda: pkt[IP].id}[var.field]()
            assert lo <= value <= hi
        sig = find_signature(frame[14:])
        assert sig is not None and (sig.stream_id, sig.seq) == (spec.stream_id, k)


@settings(max_examples=40, deadline=None)
@given(streams())
def test_json_round_trip(spec: StreamSpec) -> None:
    assert StreamSpec.from_json(spec.to_json()) == spec
