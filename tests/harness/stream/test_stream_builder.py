"""Frame builder: bytes checked through scapy's dissection (an independent view) and scapy's
ESP SecurityAssociation (an independent decryptor)."""
from __future__ import annotations

import ipaddress

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.packet import Packet

from harness.codec.spec import EspSaSpec
from harness.scenario import Direction, get_preset
from harness.stream import (
    EspStreamSpec,
    ExtKind,
    HeaderTemplate,
    L4Proto,
    PacketKind,
    PortMacs,
    SizeBasis,
    Signature,
    SizeSpec,
    StreamSpec,
    Variation,
    VarField,
    VarOp,
    build_frames,
    build_packets,
    compile_stream,
    find_signature,
    iter_frames,
)

SCENARIO = get_preset("tun44-aes128gcm")
MACS = PortMacs(bytes.fromhex("020000000001"), bytes.fromhex("020000000002"))
T4 = HeaderTemplate("198.18.1.1", "198.19.1.1", sport=4000, dport=5000, tos=0x10, ttl=33, ident=7)
T6 = HeaderTemplate("2001:2:0:1::1", "2001:2:0:2::1", L4Proto.TCP, tos=0x20, flow_label=0x12345,
                    ext_headers=(ExtKind.HOP_BY_HOP, ExtKind.DEST_OPTS, ExtKind.ROUTING, ExtKind.FRAGMENT))


def _same_sum(a: int, b: int) -> bool:
    """Checksums equal in one's-complement arithmetic (0x0000 and 0xFFFF both mean zero)."""
    return (a - b) % 0xFFFF == 0


def _checksums_valid(frame: bytes) -> None:
    """Recompute every checksum with scapy and compare with what we built."""
    pkt = Ether(frame)
    for layer in (IP, UDP, TCP, ICMP, ICMPv6EchoRequest):
        if pkt.haslayer(layer):
            built = pkt[layer].chksum if layer is not ICMPv6EchoRequest else pkt[layer].cksum
            fresh = Ether(frame)
            target = fresh[layer]
            if layer is ICMPv6EchoRequest:
                del target.cksum
            else:
                del target.chksum
            recomputed = Ether(bytes(fresh))[layer]
            value = recomputed.cksum if layer is ICMPv6EchoRequest else recomputed.chksum
            assert _same_sum(built, value), f"{layer.__name__} checksum {built:#06x} != scapy {value:#06x}"


def _l3(frame: bytes) -> bytes:
    return frame[14:]


def test_clear_ipv4_udp_frames() -> None:
    spec = StreamSpec(9, T4, 5, SizeSpec.fixed(128), port=1)
    frames = build_frames(spec, SCENARIO)
    port = SCENARIO.port(1)
    assert len(frames) == 5
    for k, frame in enumerate(frames):
        assert len(frame) == 124  # 128-byte frame incl. FCS, sent without it
        pkt = Ether(frame)
        assert (pkt.dst, pkt.src) == (":".join(f"{b:02x}" for b in port.dut_mac), ":".join(f"{b:02x}" for b in port.tester_mac))
        assert (pkt[IP].src, pkt[IP].dst, pkt[IP].tos, pkt[IP].ttl, pkt[IP].id, pkt[IP].len) == ("198.18.1.1", "198.19.1.1", 0x10, 33, 7, 110)
        assert (pkt[UDP].sport, pkt[UDP].dport, pkt[UDP].len) == (4000, 5000, 90)
        _checksums_valid(frame)
        sig = find_signature(_l3(frame))
        assert sig is not None and (sig.stream_id, sig.seq, sig.tx_ts_ns) == (9, k, 0)


def test_ipv4_variations_write_the_right_bytes() -> None:
    variations = (
        Variation(VarField.SRC, VarOp.INC, "198.18.1.1", "198.18.1.3"),
        Variation(VarField.DST, VarOp.DEC, "198.19.0.250", "198.19.1.5", step=3),
        Variation(VarField.SPORT, VarOp.RANDOM, 1000, 1010),
        Variation(VarField.DPORT, VarOp.INC, 65534, 65535),
        Variation(VarField.TOS, VarOp.INC, 0, 255, step=85),
        Variation(VarField.TTL, VarOp.DEC, 1, 255),
        Variation(VarField.IP_ID, VarOp.INC, 0xFFFE, 0xFFFF),
    )
    spec = StreamSpec(1, T4, 8, SizeSpec.fixed(100), variations=variations, seed=3)
    frames = build_frames(spec, MACS)
    pkts = [Ether(f) for f in frames]
    assert [p[IP].src for p in pkts] == ["198.18.1.1", "198.18.1.2", "198.18.1.3"] * 2 + ["198.18.1.1", "198.18.1.2"]
    dst_top = int(ipaddress.ip_address("198.19.1.5"))
    span = dst_top - int(ipaddress.ip_address("198.19.0.250")) + 1
    assert [p[IP].dst for p in pkts] == [str(ipaddress.ip_address(dst_top - (3 * k) % span)) for k in range(8)]
    sports = [p[UDP].sport for p in pkts]
    assert all(1000 <= s <= 1010 for s in sports) and len(set(sports)) > 1
    assert [p[UDP].dport for p in pkts] == [65534, 65535] * 4
    assert [p[IP].tos for p in pkts] == [0, 85, 170, 255, 84, 169, 254, 83]  # (k * step) mod 256
    assert [p[IP].ttl for p in pkts] == list(range(255, 247, -1))
    assert [p[IP].id for p in pkts] == [0xFFFE, 0xFFFF] * 4
    for k, f in enumerate(frames):
        _checksums_valid(f)
        assert find_signature(_l3(f)).seq == k  # type: ignore[union-attr]


def test_random_variation_is_reproducible_per_seed() -> None:
    def sports(seed: int) -> list[int]:
        var = (Variation(VarField.SPORT, VarOp.RANDOM, 0, 65535),)
        return [Ether(f)[UDP].sport for f in build_frames(StreamSpec(1, T4, 20, variations=var, seed=seed), MACS)]
    assert sports(1) == sports(1)
    assert sports(1) != sports(2)


def test_ipv6_tcp_with_extension_headers_and_variations() -> None:
    variations = (
        Variation(VarField.SRC, VarOp.INC, "2001:2:0:1::fffe", "2001:2:0:1::1:1"),
        Variation(VarField.FLOW_LABEL, VarOp.INC, 0xFFFFE, 0xFFFFF),
        Variation(VarField.TOS, VarOp.INC, 0xFC, 0xFF),
        Variation(VarField.TTL, VarOp.INC, 1, 2),
        Variation(VarField.DPORT, VarOp.INC, 80, 81),
    )
    spec = StreamSpec(2, T6, 4, SizeSpec.fixed(200), variations=variations)
    frames = build_frames(spec, MACS)
    for k, frame in enumerate(frames):
        assert len(frame) == 196
        pkt = Ether(frame)
        ip6 = pkt[IPv6]
        assert ip6.src == str(ipaddress.ip_address("2001:2:0:1::fffe") + k)
        assert (ip6.fl, ip6.tc, ip6.hlim) == (0xFFFFE + k % 2, 0xFC + k, 1 + k % 2)
        assert (ip6.nh, ip6.plen) == (0, 200 - 18 - 40)
        assert pkt[TCP].dport == 80 + k % 2
        _checksums_valid(frame)
        assert find_signature(_l3(frame)).seq == k  # type: ignore[union-attr]


@pytest.mark.parametrize("template", [
    HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.ICMP, sport=77),
    HeaderTemplate("2001:2:0:1::1", "2001:2:0:2::1", L4Proto.ICMP, sport=77),
    HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.TCP),
], ids=["icmp4", "icmp6", "tcp4"])
def test_other_protocols_have_valid_checksums(template: HeaderTemplate) -> None:
    for k, frame in enumerate(build_frames(StreamSpec(3, template, 3, SizeSpec.fixed(150)), MACS)):
        _checksums_valid(frame)
        assert find_signature(_l3(frame)).seq == k  # type: ignore[union-attr]


def test_sizes_imix_and_proto_none_64_byte_frames() -> None:
    tmpl = HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.NONE)
    frames = build_frames(StreamSpec(4, tmpl, 24, SizeSpec.imix()), MACS)
    assert [len(f) + 4 for f in frames] == list(SizeSpec.imix().cycle) * 2
    assert all(Ether(f)[IP].proto == 253 for f in frames)
    frames = build_frames(StreamSpec(4, T4, 3, SizeSpec.of([100, 1400], SizeBasis.L3)), MACS)
    assert [len(f) - 14 for f in frames] == [100, 1400, 100]
    for f in frames:
        _checksums_valid(f)


def test_lazy_iteration_equals_list_and_sent_packets() -> None:
    var = (Variation(VarField.SPORT, VarOp.RANDOM, 0, 65535),)
    spec = StreamSpec(5, T4, 6, variations=var, port=0)
    frames = build_frames(spec, SCENARIO)
    assert list(iter_frames(spec, SCENARIO)) == frames
    assert list(iter_frames(spec, SCENARIO, limit=2)) == frames[:2]
    packets = build_packets(spec, SCENARIO)
    assert [(p.stream_id, p.seq, p.port, p.kind, p.spi, p.esp_seq) for p in packets] == [
        (5, k, 0, PacketKind.CLEAR, None, None) for k in range(6)]
    assert [p.frame for p in packets] == frames


def _scapy_sa(spec: EspSaSpec) -> SecurityAssociation:
    """The same SA in scapy's own ESP implementation."""
    names = {"aes-128-gcm": "AES-GCM", "aes-128-cbc": "AES-CBC", "sha256-hmac": "SHA2-256-128"}
    tunnel = None
    if spec.tunnel_src is not None:
        cls = IP if spec.tunnel_src.version == 4 else IPv6
        tunnel = cls(src=str(spec.tunnel_src), dst=str(spec.tunnel_dst))
    if spec.aead is not None:
        return SecurityAssociation(ESP, spi=spec.spi, crypt_algo=names[spec.aead], crypt_key=spec.aead_key,
                                   tunnel_header=tunnel, esn_en=spec.esn)
    return SecurityAssociation(ESP, spi=spec.spi, crypt_algo=names[str(spec.cipher)], crypt_key=spec.cipher_key,
                               auth_algo=names[str(spec.auth)], auth_key=spec.auth_key, tunnel_header=tunnel,
                               esn_en=spec.esn)


def _decrypt(sa: SecurityAssociation, frame: bytes, seq: int) -> Packet:
    outer = Ether(frame).payload
    sa.esn = seq >> 32
    return sa.decrypt(outer.copy())


@pytest.mark.parametrize("preset, seq_start", [
    ("tun44-aes128gcm", 1),
    ("tun64-aes128cbc-sha256", 77),
    ("tun44-aes128gcm-esn-w64", (1 << 32) - 2),
    ("trs4-aes128gcm", 5),
], ids=["gcm44", "cbc-sha256-6in4", "gcm-esn-epoch", "gcm-transport"])
def test_esp_stream_decrypts_with_scapy_to_the_clear_stream(preset: str, seq_start: int) -> None:
    scenario = get_preset(preset)
    sa = scenario.sa(Direction.IN, 2001)
    assert sa is not None
    inner = T4 if sa.inner_family.value == 4 else HeaderTemplate("2001:2:0:2:1::1", "2001:2:0:1:1::1")
    clear = StreamSpec(7, inner, 4, SizeSpec.fixed(200), port=0)
    esp = StreamSpec(7, inner, 4, SizeSpec.fixed(200), port=0, esp=EspStreamSpec(sa.spec, seq_start))
    clear_frames = build_frames(clear, scenario)
    packets = build_packets(esp, scenario)
    scapy_sa = _scapy_sa(sa.spec)
    for k, (pkt, plain) in enumerate(zip(packets, clear_frames)):
        assert (pkt.kind, pkt.spi, pkt.esp_seq, pkt.seq) == (PacketKind.ESP, 2001, seq_start + k, k)
        outer = Ether(pkt.frame)
        assert outer.dst == "02:00:00:00:d0:00"
        assert outer[ESP].seq == (seq_start + k) & 0xFFFFFFFF
        decrypted = _decrypt(scapy_sa, pkt.frame, seq_start + k)
        assert bytes(decrypted) == _l3(plain)
        assert find_signature(bytes(decrypted)).seq == k  # type: ignore[union-attr]


def test_explicit_iv_appears_on_the_wire() -> None:
    sa = get_preset("tun44-aes128cbc-sha256").sa(Direction.IN, 2001)
    assert sa is not None
    iv = bytes(range(16))
    frames = build_frames(StreamSpec(1, T4, 2, port=0, esp=EspStreamSpec(sa.spec, 1, iv)), SCENARIO)
    for f in frames:
        assert f[14 + 20 + 8:14 + 20 + 8 + 16] == iv
    assert bytes(_decrypt(_scapy_sa(sa.spec), frames[1], 2)) == _l3(build_frames(StreamSpec(1, T4, 2, port=0), SCENARIO)[1])


def test_cbc_ivs_are_reproducible_per_seed() -> None:
    sa = get_preset("tun44-aes128cbc-sha256").sa(Direction.IN, 2001)
    assert sa is not None
    spec = StreamSpec(1, T4, 3, port=0, esp=EspStreamSpec(sa.spec), seed=11)
    assert build_frames(spec, SCENARIO) == build_frames(spec, SCENARIO)


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun44-aes128cbc-sha256"])
def test_64_byte_udp4_frames_clear_and_esp(preset: str) -> None:
    """RFC 2544 at 64 bytes over UDP: 60 bytes without FCS, the 18-byte signature right after
    the UDP header; the ESP stream of the same packets decrypts (scapy) to the clear frames."""
    scenario = get_preset(preset)
    sa = scenario.sa(Direction.IN, 2001)
    assert sa is not None
    clear = build_frames(StreamSpec(3, T4, 5, SizeSpec.fixed(64), port=0), scenario)
    assert {len(f) for f in clear} == {60}
    for k, f in enumerate(clear):
        _checksums_valid(f)
        assert Ether(f)[UDP].len == 8 + 18
        assert find_signature(_l3(f)) == Signature(3, k)
    packets = build_packets(StreamSpec(3, T4, 5, SizeSpec.fixed(64), port=0, esp=EspStreamSpec(sa.spec)), scenario)
    scapy_sa = _scapy_sa(sa.spec)
    for k, (pkt, plain) in enumerate(zip(packets, clear)):
        assert bytes(_decrypt(scapy_sa, pkt.frame, k + 1)) == _l3(plain)


@pytest.mark.parametrize("preset, template", [
    ("tun44-aes128gcm", T4),
    ("tun44-aes128gcm", HeaderTemplate("198.18.1.1", "198.19.1.1", L4Proto.NONE, tos=0x2E)),
    ("tun64-aes128cbc-sha256", HeaderTemplate("2001:2:0:2:1::1", "2001:2:0:1:1::1")),
    ("tun66-chacha20", HeaderTemplate("2001:2:0:2:1::1", "2001:2:0:1:1::1", tos=0xB8, flow_label=7)),
])
def test_sealed_one_size_path_equals_the_per_packet_path(preset: str, template: HeaderTemplate) -> None:
    """frame_list's one-call-per-frame path (constant outer header, trailer appended inline)
    gives the bytes of the lazy per-packet path; non-AEAD SAs do not take it."""
    scenario = get_preset(preset)
    sa = scenario.sa(Direction.IN, 2001)
    assert sa is not None
    spec = StreamSpec(2, template, 7, SizeSpec.fixed(90), port=0, esp=EspStreamSpec(sa.spec, 5))
    compiled = compile_stream(spec, scenario)
    assert (compiled._sealed is not None) == (sa.spec.aead is not None)
    assert compiled.frame_list() == list(compile_stream(spec, scenario).frames())  # fresh: CBC IVs are drawn in order
