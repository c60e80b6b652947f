"""Every inbound drop reason (RFC 4303 §3.4, §2.4, §2.6; RFC 3948 §2.2-2.3), each counted."""
from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from esp_helpers import inner4, inner6, sa_pair, sa_rule
from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import Engine, esp_decrypt, esp_encrypt, make_sa
from gateway_ref.proto import ipv4

PKT = inner4(b"drops")


def _gcm_wire(rx, plain: bytes, seq: int = 1) -> bytes:
    """An IPv4-tunnel ESP packet for RX's SA with a chosen plaintext (our own trailer bytes),
    sealed independently of the code under test with cryptography's AESGCM."""
    rule = rx.rule
    k, salt = rule.aead_key[:16], rule.aead_key[16:]
    hdr = struct.pack("!II", rule.spi, seq)
    iv = seq.to_bytes(8, "big")
    body = hdr + iv + AESGCM(k).encrypt(salt + iv, plain, hdr)
    outer = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, 50, 0,
                                  rule.src.packed, rule.dst.packed))
    ipv4.set_checksum(outer)
    return bytes(outer) + body


@pytest.fixture
def pair():
    return sa_pair(sa_rule(), Family.IPV4)


def test_icv(pair) -> None:
    tx, rx = pair
    wire = bytearray(esp_encrypt(tx, PKT))
    wire[40] ^= 1  # inside the ciphertext
    assert esp_decrypt(rx, bytes(wire)) is DropReason.ICV
    assert rx.rt.drops == {DropReason.ICV: 1} and rx.rt.packets == 0


@pytest.mark.parametrize("cut", [1, 2, 3, 40])
def test_truncated(pair, cut: int) -> None:
    tx, rx = pair
    wire = esp_encrypt(tx, PKT)
    assert esp_decrypt(rx, wire[:len(wire) - cut] if cut < 40 else wire[:30]) is DropReason.ESP_TRUNCATED


def test_unknown_spi(pair) -> None:
    tx, _ = pair
    other = make_sa(sa_rule(spi=0x2000), Family.IPV4, replay_window=64, esn=False, engine=Engine.LIBRARY)
    assert esp_decrypt(other, esp_encrypt(tx, PKT)) is DropReason.UNKNOWN_SPI


def test_bad_pad_bytes(pair) -> None:
    _, rx = pair
    n = (-(len(PKT) + 2)) % 4 or 4
    plain = PKT + bytes(range(1, n)) + b"\x09" + bytes((n, 4))  # last pad byte wrong
    assert esp_decrypt(rx, _gcm_wire(rx, plain)) is DropReason.PADDING


def test_pad_length_beyond_payload(pair) -> None:
    _, rx = pair
    assert esp_decrypt(rx, _gcm_wire(rx, b"\x45\x00" + bytes((0xFF, 4)))) is DropReason.PADDING


def test_next_header_mismatch_library_only() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4)
    plain = inner6(b"x")
    plain += bytes(range(1, (-(len(plain) + 2)) % 4 + 1)) + bytes(((-(len(plain) + 2)) % 4, 41))
    assert esp_decrypt(rx, _gcm_wire(rx, plain)) is DropReason.NEXT_HEADER  # SA carries IPv4
    _, legacy = sa_pair(sa_rule(), Family.IPV4, engine=Engine.LEGACY)
    res = esp_decrypt(legacy, _gcm_wire(legacy, plain))
    assert isinstance(res, tuple) and res[1] is Family.IPV6  # legacy does not check it


def test_dummy_packet(pair) -> None:
    _, rx = pair
    assert esp_decrypt(rx, _gcm_wire(rx, b"\x01\x02" + bytes((2, 59)))) is DropReason.DUMMY
    assert rx.rt.drops == {DropReason.DUMMY: 1}


def test_garbage_inner_packet_is_malformed(pair) -> None:
    _, rx = pair
    assert esp_decrypt(rx, _gcm_wire(rx, b"\x45\x00" + bytes((0, 4)))) is DropReason.MALFORMED_IP


def test_replay(pair) -> None:
    tx, rx = pair
    wire = esp_encrypt(tx, PKT)
    assert isinstance(esp_decrypt(rx, wire), tuple)
    assert esp_decrypt(rx, wire) is DropReason.REPLAY


def _udp4500(rx, payload: bytes) -> bytes:
    rule = rx.rule
    udp = struct.pack("!HHHH", 4500, 4500, 8 + len(payload), 0) + payload
    outer = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                                  rule.src.packed, rule.dst.packed))
    ipv4.set_checksum(outer)
    return bytes(outer) + udp


def test_natt_keepalive_and_non_esp_marker(pair) -> None:
    _, rx = pair
    assert esp_decrypt(rx, _udp4500(rx, b"\xff")) is DropReason.UDP_ENCAP_KEEPALIVE
    assert esp_decrypt(rx, _udp4500(rx, bytes(4) + b"ike")) is DropReason.UDP_ENCAP_NON_ESP


def test_not_ip_and_not_esp(pair) -> None:
    _, rx = pair
    assert esp_decrypt(rx, b"\x00" * 10) is DropReason.MALFORMED_IP
    assert esp_decrypt(rx, PKT) is DropReason.MALFORMED_IP  # plain UDP/1024, not 4500 ESP
    assert rx.rt.drops[DropReason.MALFORMED_IP] == 2


def test_unsupported_algorithm_for_engine_is_a_config_error() -> None:
    from gateway_ref.cfg.errors import ConfigError
    with pytest.raises(ConfigError, match=r"test.cfg:1:1: error: sa 4096: des-cbc is not supported by the library"):
        make_sa(sa_rule(cipher="des-cbc", auth="sha1-hmac"), Family.IPV4, replay_window=0,
                esn=False, engine=Engine.LIBRARY)
    with pytest.raises(ConfigError, match="aes-128-ccm is not supported by the legacy"):
        make_sa(sa_rule(aead="aes-128-ccm"), Family.IPV4, replay_window=0, esn=False, engine=Engine.LEGACY)
    with pytest.raises(ConfigError, match="needs IPv6 src and dst"):
        make_sa(sa_rule(mode=SaMode.IPV4_TUNNEL).__class__(**{**sa_rule().__dict__, "mode": SaMode.IPV6_TUNNEL}),
                Family.IPV4, replay_window=0, esn=False, engine=Engine.LIBRARY)
