"""Known-answer tests: DPDK app/test ESP vectors (data/dpdk-esp-vectors.json, extracted
from DPDK app/test/test_cryptodev_security_ipsec_test_vectors.h), both directions.

Egress: explicit IV and sequence injected, bytes compared from ``compare_from_offset`` (the
vector's outer header is illustrative, as in DPDK's own test). Ingress: the vector's packet
decrypts to the plaintext packet, byte for byte.
"""
from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from gateway_ref.cfg.errors import SourcePos
from gateway_ref.cfg.records import Direction, Family, OffloadType, SaMode, SaRule
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import Engine, esp_decrypt, esp_encrypt, make_sa

VECTORS = Path(__file__).parent / "data" / "dpdk-esp-vectors.json"  # copy of shared/vectors
_DATA = json.loads(VECTORS.read_text())["vectors"]


def _rule(v: dict) -> tuple[SaRule, Family]:
    exp = bytes.fromhex(v["expected_packet_hex"])
    words = v["secgw_cfg_equivalent"].split()

    def opt(token: str) -> str | None:
        return words[words.index(token) + 1] if token in words else None
    key = bytes.fromhex(v["cipher_or_aead_key_hex"] + v["salt_hex"])
    v4 = v["outer_ip_version"] == 4
    src = ipaddress.ip_address(exp[12:16] if v4 else exp[8:24])
    dst = ipaddress.ip_address(exp[16:20] if v4 else exp[24:40])
    cipher, auth, aead = opt("cipher_algo"), opt("auth_algo"), opt("aead_algo")
    rule = SaRule(Direction.OUT, v["spi"], SaMode.IPV4_TUNNEL if v4 else SaMode.IPV6_TUNNEL,
                  cipher, key if cipher else b"", auth, bytes.fromhex(v["auth_key_hex"]),
                  aead, key if aead else b"", src, dst, OffloadType.NO_OFFLOAD, None, None, None,
                  False, 0, 0, False, False, SourcePos(str(VECTORS), 1, 1))
    return rule, Family.IPV4 if v["inner_ip_version"] == 4 else Family.IPV6


@pytest.mark.parametrize("v", _DATA, ids=[v["id"] for v in _DATA])
def test_outbound_matches_vector(v: dict) -> None:
    rule, inner = _rule(v)
    sa = make_sa(rule, inner, replay_window=0, esn=False, engine=Engine.LIBRARY)
    out = esp_encrypt(sa, bytes.fromhex(v["plaintext_packet_hex"]), seq=v["seq"],
                      iv=bytes.fromhex(v["iv_hex"]) if v["iv_hex"] else None)
    assert isinstance(out, bytes)
    start = v["compare_from_offset"]
    assert out[start:].hex() == v["expected_packet_hex"][2 * start:]
    assert len(out) == v["expected_packet_len"]


@pytest.mark.parametrize("v", _DATA, ids=[v["id"] for v in _DATA])
def test_inbound_matches_vector(v: dict) -> None:
    rule, inner = _rule(v)
    sa = make_sa(rule, inner, replay_window=64, esn=False, engine=Engine.LIBRARY)
    res = esp_decrypt(sa, bytes.fromhex(v["expected_packet_hex"]))
    assert res == (bytes.fromhex(v["plaintext_packet_hex"]), inner)
    assert sa.rt.packets == 1


@pytest.mark.parametrize("v", _DATA, ids=[v["id"] for v in _DATA])
def test_inbound_vector_with_flipped_icv_byte_is_dropped(v: dict) -> None:
    rule, inner = _rule(v)
    sa = make_sa(rule, inner, replay_window=64, esn=False, engine=Engine.LIBRARY)
    pkt = bytearray.fromhex(v["expected_packet_hex"])
    pkt[-1] ^= 0x01
    assert esp_decrypt(sa, bytes(pkt)) is DropReason.ICV
    assert sa.rt.drops == {DropReason.ICV: 1}
