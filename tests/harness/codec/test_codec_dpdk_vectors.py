"""DPDK ESP known-answer vectors (/work/shared/vectors/dpdk-esp-vectors.json, extracted from
DPDK app/test/test_cryptodev_security_ipsec_test_vectors.h): encode byte for byte from
``compare_from_offset`` with the vector's IV and sequence number, and decode the expected
packet back to the plaintext."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from harness.codec.esp_decode import EspDecoder
from harness.codec.esp_encode import EspEncoder
from harness.codec.spec import EspSaSpec

VECTORS_PATH = Path(__file__).resolve().parents[3] / "testsuites" / "data" / "vectors" / "dpdk-esp-vectors.json"
if not VECTORS_PATH.exists():  # the shared file lives outside the repository
    pytest.skip(f"{VECTORS_PATH} not present", allow_module_level=True)
VECTORS = json.loads(VECTORS_PATH.read_text())["vectors"]

# secgw keyword for each DPDK algorithm combination used by the vectors
KEYWORDS = {
    ("RTE_CRYPTO_AEAD_AES_GCM",): "gcm",
    ("RTE_CRYPTO_CIPHER_AES_CBC", "RTE_CRYPTO_AUTH_SHA256_HMAC"): ("aes-{}-cbc", "sha256-hmac"),
    ("RTE_CRYPTO_CIPHER_AES_CTR", "RTE_CRYPTO_AUTH_SHA256_HMAC"): ("aes-{}-ctr", "sha256-hmac"),
    ("RTE_CRYPTO_CIPHER_NULL", "RTE_CRYPTO_AUTH_AES_XCBC_MAC"): ("null", "aes-xcbc-mac-96"),
}


def spec_for(v: dict) -> EspSaSpec:
    key = bytes.fromhex(v["cipher_or_aead_key_hex"])
    salt = bytes.fromhex(v["salt_hex"])
    # tunnel endpoints from the benchmarking ranges: the vectors' outer header is not compared
    if v["outer_ip_version"] == 4:
        src, dst = ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("198.18.0.2")
    else:
        src, dst = ipaddress.ip_address("2001:2::1"), ipaddress.ip_address("2001:2::2")
    algos = KEYWORDS[tuple(v["dpdk_algorithms"])]
    common = dict(spi=v["spi"], mode=v["mode"], tunnel_src=src, tunnel_dst=dst, esn=v["esn"])
    if algos == "gcm":
        return EspSaSpec(aead=f"aes-{len(key) * 8}-gcm", aead_key=key + salt, **common)
    cipher, auth = algos
    return EspSaSpec(cipher=cipher.format(len(key) * 8), cipher_key=key + salt, auth=auth,
                     auth_key=bytes.fromhex(v["auth_key_hex"]), **common)


@pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
def test_encode_matches_vector(v: dict) -> None:
    spec = spec_for(v)
    out = EspEncoder(spec).encode(bytes.fromhex(v["plaintext_packet_hex"]), v["seq"],
                                  iv=bytes.fromhex(v["iv_hex"]))
    expected = bytes.fromhex(v["expected_packet_hex"])
    off = v["compare_from_offset"]
    assert len(out) == v["expected_packet_len"]
    assert out[off:].hex() == expected[off:].hex()


@pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
def test_decode_vector(v: dict) -> None:
    decoded = EspDecoder(spec_for(v)).decode(bytes.fromhex(v["expected_packet_hex"]))
    assert decoded.problems == ()
    assert decoded.icv_ok
    assert decoded.inner == bytes.fromhex(v["plaintext_packet_hex"])
    assert (decoded.seq, decoded.pad_len, decoded.next_header) == (v["seq"], v["pad_len"], v["next_header"])
    assert decoded.iv == bytes.fromhex(v["iv_hex"])
