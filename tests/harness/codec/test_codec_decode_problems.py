"""Every problem the ESP decoder names (RFC 4303 §2.4, §2.6, §3.4) is detected, and bad
input never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from harness.codec.esp_decode import EspDecoder, EspProblem
from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv4 import IpProto, build_ipv4
from harness.codec.ipv6 import destination_options, fragment, hop_by_hop, routing
from harness.codec.spec import Corruption, EspField

from codec_samples import V4_DST, V4_SRC, combo_id, combos, inner_v4, inner_v6, make_spec

GCM = (None, None, "aes-128-gcm")
CBC = ("aes-128-cbc", "sha256-hmac", None)


FLIP_CASES = [(c, f) for c in (GCM, CBC, ("null", "sha1-hmac", None), ("null", "aes-gmac", None))
              for f in EspField if not (f is EspField.IV and c[1] == "sha1-hmac")]  # NULL cipher: no IV


@pytest.mark.parametrize("combo,field", FLIP_CASES, ids=[f"{combo_id(c)}-{f.value}" for c, f in FLIP_CASES])
def test_any_flipped_byte_fails_icv(combo: tuple, field: EspField) -> None:
    spec = make_spec(combo)
    pkt = EspEncoder(spec).encode(inner_v4(), 3, corrupt=Corruption(flip=field, index=1))
    d = EspDecoder(spec).decode(pkt)
    assert EspProblem.ICV in d.problems
    assert not d.icv_ok
    if field is EspField.SPI:
        assert EspProblem.SPI in d.problems


def test_flipped_icv_still_yields_unverified_plaintext() -> None:
    for combo in (GCM, (None, None, "aes-128-ccm"), (None, None, "chacha20-poly1305"), CBC):
        spec = make_spec(combo)
        inner = inner_v4()
        d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner, 3, corrupt=Corruption(flip=EspField.ICV)))
        assert d.problems == (EspProblem.ICV,), combo
        assert d.inner == inner


def test_wrong_pad_bytes_with_valid_icv() -> None:
    spec = make_spec(GCM)
    inner = inner_v4(31)  # 59 bytes: +2 = 61, padding 3
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner, 1, padding=b"\x00\x00\x00"))
    assert d.icv_ok and d.problems == (EspProblem.PAD_BYTES,)
    assert d.padding == b"\x00\x00\x00" and d.inner == inner


def test_pad_length_too_large_with_valid_icv() -> None:
    spec = make_spec(CBC)
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner_v4(), 1, corrupt=Corruption(pad_len_field=0xFF)))
    assert d.icv_ok and d.problems == (EspProblem.PAD_LENGTH,) and d.pad_len == 0xFF


def test_misaligned_ciphertext() -> None:
    spec = make_spec(GCM)
    inner = inner_v4(30)  # 58 + 2 = 60: aligned without padding; one pad byte breaks it
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner, 1, padding=b"\x01"))
    assert EspProblem.ALIGNMENT in d.problems and d.icv_ok


def test_tunnel_next_header_mismatch() -> None:
    spec = make_spec(GCM)
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner_v4(), 1, next_header=IpProto.IPV6))
    assert d.problems == (EspProblem.NEXT_HEADER,)


def test_dummy_packet_next_header_59_is_not_a_problem() -> None:
    spec = make_spec(GCM)
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(b"\x00" * 20, 1, next_header=IpProto.NONE))
    assert d.problems == () and d.next_header == 59


def test_inner_length_larger_than_decrypted() -> None:
    spec = make_spec(GCM)
    inner = bytearray(inner_v4())
    inner[3] += 8
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(bytes(inner), 1))
    assert d.problems == (EspProblem.INNER_LENGTH,)


def test_tfc_padding_after_inner_is_accepted() -> None:
    spec = make_spec(GCM)
    d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner_v4() + b"\xee" * 12, 1))
    assert d.problems == ()


@pytest.mark.parametrize("combo", [GCM, CBC], ids=combo_id)
def test_truncated(combo: tuple) -> None:
    spec = make_spec(combo)
    pkt = EspEncoder(spec).encode(inner_v4(), 1)
    short = EspEncoder(spec).encode(inner_v4(), 1, corrupt=Corruption(truncate=len(pkt) - 20 - 10))
    assert EspDecoder(spec).decode(short).problems == (EspProblem.TRUNCATED,)
    assert EspDecoder(spec).decode(pkt[:-4]).problems == (EspProblem.IP_LENGTH,)


def test_not_esp_and_not_ip() -> None:
    spec = make_spec(GCM)
    dec = EspDecoder(spec)
    assert dec.decode(inner_v4()).problems == (EspProblem.NOT_ESP,)
    assert dec.decode(b"").problems == (EspProblem.NOT_IP,)
    assert dec.decode(b"\x12" * 30).problems == (EspProblem.NOT_IP,)


def test_transport_v6_after_all_extension_headers() -> None:
    """RFC 4303 §3.1.1: ESP follows HBH, Routing, Fragment and Destination Options."""
    spec = make_spec(CBC, mode="transport")
    ext = (hop_by_hop(b"\x05\x02\x00\x00"), routing(0, 0, bytes(4) + bytes(16)), fragment(), destination_options())
    inner = inner_v6(40, ext)
    pkt = EspEncoder(spec).encode(inner, 9)
    assert pkt[:6] == inner[:4] + pkt[4:6]
    last_ext_start = 40 + sum(len(h.body) + 1 for h in ext[:-1])
    assert pkt[last_ext_start] == IpProto.ESP
    d = EspDecoder(spec).decode(pkt)
    assert d.problems == () and d.inner == inner and d.next_header == IpProto.UDP
    assert d.esp_offset == 40 + sum(len(h.body) + 1 for h in ext)


@pytest.mark.parametrize("combo", [GCM, CBC], ids=combo_id)
@pytest.mark.parametrize("mode", ["tunnel", "transport"])
def test_udp_encapsulation_rfc3948(combo: tuple, mode: str) -> None:
    spec = make_spec(combo, mode=mode, udp_encap=(4500, 4500))
    inner = inner_v4()
    pkt = EspEncoder(spec).encode(inner, 2)
    assert pkt[9] == IpProto.UDP and pkt[20:24] == b"\x11\x94\x11\x94" and pkt[26:28] == b"\x00\x00"
    d = EspDecoder(spec).decode(pkt)
    assert d.problems == () and d.inner == inner and d.esp_offset == 28


@pytest.mark.parametrize("combo", combos(), ids=[combo_id(c) for c in combos()])
def test_roundtrip_every_algorithm_v6_tunnel(combo: tuple) -> None:
    spec = make_spec(combo, v6=True)
    for n in (1, 17, 64):
        inner = inner_v4(n)
        d = EspDecoder(spec).decode(EspEncoder(spec).encode(inner, n))
        assert d.problems == () and d.inner == inner and d.seq == n


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=120), cut=st.integers(0, 200))
def test_decoder_never_raises(data: bytes, cut: int) -> None:
    for combo in (GCM, CBC):
        spec = make_spec(combo)
        dec = EspDecoder(spec)
        good = EspEncoder(spec).encode(inner_v4(), 1)
        for pkt in (data, good[:cut] + data, build_ipv4(V4_SRC, V4_DST, IpProto.ESP, data)):
            assert isinstance(dec.decode(pkt).problems, tuple)
