"""Stream specs: JSON round trips and errors naming the field."""
from __future__ import annotations

import json

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from harness.scenario import get_preset
from harness.stream import (
    EspStreamSpec,
    ExtKind,
    HeaderTemplate,
    L4Proto,
    Rate,
    RawTemplate,
    SizeBasis,
    SizeSpec,
    StreamSpec,
    Variation,
    VarField,
    VarOp,
)

T4 = HeaderTemplate("198.18.1.1", "198.19.1.1")
T6 = HeaderTemplate("2001:2:0:1::1", "2001:2:0:2::1", L4Proto.TCP, ext_headers=(ExtKind.HOP_BY_HOP, ExtKind.ROUTING))
SA = get_preset("tun44-aes128cbc-sha256-esn-w64").tunnels[0].inbound.spec  # type: ignore[union-attr]

SPECS = [
    StreamSpec(1, T4, 10),
    StreamSpec(2, T6, 5, SizeSpec.of([200, 1500]), Rate.percent(10, 10e9), port=0, seed=7, name="six",
               variations=(Variation(VarField.SRC, VarOp.INC, "2001:2:0:1::1", "2001:2:0:1::ff"),
                           Variation(VarField.FLOW_LABEL, VarOp.RANDOM, 0, 0xFFFFF))),
    StreamSpec(3, T4, 3, SizeSpec.of([100, 200], SizeBasis.L3), Rate.pps(1000), port=0,
               esp=EspStreamSpec(SA, seq_start=(1 << 32) - 1, iv=bytes(16))),
    StreamSpec(4, RawTemplate.from_scapy(Ether() / IP(src="198.18.0.1", dst="198.19.0.1") / UDP(dport=53)), 2,
               SizeSpec.fixed(256), Rate.l2_bps(1e9)),
    StreamSpec(5, HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.NONE), 7, SizeSpec.rfc2544()),
    StreamSpec(6, HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.NONE), 7, SizeSpec.imix()),
]


@pytest.mark.parametrize("spec", SPECS, ids=["clear4", "list6", "esp", "raw", "rfc2544", "imix"])
def test_json_round_trip(spec: StreamSpec) -> None:
    text = spec.to_json()
    back = StreamSpec.from_json(text)
    assert back == spec
    assert json.loads(back.to_json()) == json.loads(text)


def test_raw_template_from_scapy_drops_ethernet() -> None:
    raw = SPECS[3].template
    assert isinstance(raw, RawTemplate) and raw.l3[0] >> 4 == 4 and len(raw.headers()) == 28


@pytest.mark.parametrize("build, needle", [
    (lambda: StreamSpec(70000, T4, 1), "StreamSpec.stream_id"),
    (lambda: StreamSpec(1, T4, 0), "StreamSpec.count"),
    (lambda: StreamSpec(1, T4, 1, port=-1), "StreamSpec.port"),
    (lambda: StreamSpec(1, T4, 1, SizeSpec.fixed(63)), "StreamSpec.sizes: a 45-byte L3 packet cannot hold"),
    (lambda: StreamSpec(1, T4, 1, variations=(Variation(VarField.FLOW_LABEL, VarOp.INC, 0, 5),)),
     r"StreamSpec.variations\[0\]: Variation flow_label: IPv6 only"),
    (lambda: StreamSpec(1, HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.ICMP), 1,
                        variations=(Variation(VarField.DPORT, VarOp.INC, 0, 5),)), "has no ports"),
    (lambda: StreamSpec(1, T4, 1, variations=(Variation(VarField.SRC, VarOp.INC, "2001:2::1", "2001:2::9"),)),
     "IPv6 range on an IPv4 template"),
    (lambda: StreamSpec(1, T4, 1, variations=(Variation(VarField.TOS, VarOp.INC, 0, 300),)), "exceeds 0..255"),
    (lambda: Variation(VarField.SPORT, VarOp.INC, 10, 5), "Variation.low 10 is above Variation.high 5"),
    (lambda: Variation(VarField.SPORT, VarOp.INC, 1, 5, step=0), "Variation.step"),
    (lambda: Variation(VarField.DST, VarOp.INC, "198.18.0.1", "nonsense"), "Variation.high must be an IP address"),
    (lambda: HeaderTemplate("198.18.1.1", "2001:2::1"), "differ in IP version"),
    (lambda: HeaderTemplate("198.18.1.1", "198.19.1.1", sport=70000), "HeaderTemplate.sport"),
    (lambda: HeaderTemplate("198.18.1.1", "198.19.1.1", flow_label=1), "IPv6 only"),
    (lambda: RawTemplate(b"\x45" + bytes(5)), "truncated or malformed IPv4 header"),
    (lambda: EspStreamSpec(get_preset("tun44-aes128gcm").sas[0].spec, seq_start=1 << 32), "EspStreamSpec.seq_start"),
    (lambda: StreamSpec(1, T4, 10, esp=EspStreamSpec(get_preset("tun44-aes128gcm").sas[0].spec, seq_start=(1 << 32) - 2)),
     "StreamSpec.count: ESP sequence numbers would reach"),
    (lambda: StreamSpec.from_dict({"stream_id": 1, "count": 1}), "lacks field 'template'"),
    (lambda: StreamSpec.from_dict({"stream_id": 1, "count": 1, "template": {"kind": "header", "src": "198.18.0.1",
                                   "dst": "198.19.0.1", "proto": "sctp"}}), "template.proto must be one of"),
    (lambda: StreamSpec.from_dict({"stream_id": 1, "count": 1, "template": {"kind": "raw", "l3": "4g"}}), "template.l3 is not valid hex"),
])
def test_errors_name_the_field(build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=needle):
        build()


def test_minimum_sizes_udp4_at_64_bytes_udp6_at_84() -> None:
    StreamSpec(1, T4, 1, SizeSpec.fixed(64))  # 20 + 8 + 18 = 46 L3 = 64-byte frame (60 without FCS)
    StreamSpec(1, T4, 1, SizeSpec.imix())
    with pytest.raises(ValueError, match=r"minimum is 46 bytes L3 = 64-byte frame \(60 bytes without FCS\)"):
        StreamSpec(1, T4, 1, SizeSpec.fixed(45, SizeBasis.L3))
    u6 = HeaderTemplate("2001:2::1", "2001:2::2")
    StreamSpec(1, u6, 1, SizeSpec.fixed(84))  # 40 + 8 + 18 = 66 L3 = 84-byte frame (80 without FCS)
    with pytest.raises(ValueError, match=r"IPv6/UDP needs at least 14 \+ 40 \+ 8 \+ 18 = 80 bytes without FCS"):
        StreamSpec(1, u6, 1, SizeSpec.fixed(83))
    StreamSpec(1, HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.NONE), 1, SizeSpec.fixed(64))


def test_pps_uses_mean_clear_frame_size() -> None:
    spec = StreamSpec(1, SPECS[4].template, 1, SizeSpec.imix(), Rate.l1_bps(1e9))
    mean = (7 * 64 + 4 * 570 + 1518) / 12
    assert spec.pps() == pytest.approx(1e9 / ((mean + 20) * 8))
    assert StreamSpec(1, T4, 1).pps() is None
