"""Published test vectors for the primitives behind the ESP transforms, each naming its
source. The ESP-level framing is covered by the DPDK vectors and the cross-checks."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness.codec.algorithms import AUTHS
from harness.codec.transforms import CipherAuthTransform, mac_function
from harness.codec.algorithms import CIPHERS
from harness.codec.xcbc import AesXcbcMac

# RFC 3566 §4 "Test Vectors", key 000102030405060708090a0b0c0d0e0f
RFC3566_KEY = bytes(range(16))
RFC3566_CASES = [
    ("case1-empty", b"", "75f0251d528ac01c4573dfd584d79f29"),
    ("case2-3B", bytes(range(3)), "5b376580ae2f19afe7219ceef172756f"),
    ("case3-16B", bytes(range(16)), "d2a246fa349b68a79998a4394ff7a263"),
    ("case4-20B", bytes(range(20)), "47f51b4564966215b8985c63055ed308"),
    ("case5-32B", bytes(range(32)), "f54f0ec8d2b9f3d36807734bd5283fd4"),
    ("case6-34B", bytes(range(34)), "becbb3bccdb518a30677d5481fb6b4d8"),
    ("case7-1000B", bytes(1000), "f0dafee895db30253761103b5d84528f"),
]


@pytest.mark.parametrize("msg,expected", [c[1:] for c in RFC3566_CASES], ids=[c[0] for c in RFC3566_CASES])
def test_xcbc_rfc3566(msg: bytes, expected: str) -> None:
    assert AesXcbcMac(RFC3566_KEY).mac(msg).hex() == expected


def test_xcbc_mac96_truncates_rfc3566_case4() -> None:
    """RFC 3566 §4 AES-XCBC-MAC-96 is the first 96 bits of the MAC."""
    assert mac_function(AUTHS["aes-xcbc-mac-96"], RFC3566_KEY)(bytes(range(20))).hex() == "47f51b4564966215b8985c63"


# RFC 3686 §6 Test Vectors #1 and #2 (AES-128-CTR); cfg key = key ‖ nonce, IV carried in packet
RFC3686 = [
    ("tv1", "ae6852f8121067cc4bf7a5765577f39e", "00000030", "0000000000000000",
     b"Single block msg".hex(), "e4095d4fb7a7b3792d6175a3261311b8"),
    ("tv2", "7e24067817fae0d743d6ce1f32539163", "006cb6db", "c0543b59da48d90b",
     bytes(range(32)).hex(), "5104a106168a72d9790d41ee8edad388eb2e1efc46da57c8fce630df9141be28"),
]


@pytest.mark.parametrize("key,nonce,iv,pt,ct", [c[1:] for c in RFC3686], ids=[c[0] for c in RFC3686])
def test_aes_ctr_rfc3686(key: str, nonce: str, iv: str, pt: str, ct: str) -> None:
    t = CipherAuthTransform(CIPHERS["aes-128-ctr"], bytes.fromhex(key + nonce), AUTHS["null"], b"")
    sealed = t.seal(b"\x00" * 8, b"", bytes.fromhex(iv), bytes.fromhex(pt))
    assert sealed.hex() == ct
    assert t.open(b"\x00" * 8, b"", bytes.fromhex(iv), sealed, b"") == (True, bytes.fromhex(pt))


# RFC 4231 §4.3 Test Case 2 (key "Jefe"), truncated as RFC 4868 §2.3 specifies
RFC4231_TC2 = {
    "sha256-hmac": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "sha384-hmac": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                   "8e2240ca5e69e2c78b3239ecfab21649",
    "sha512-hmac": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                   "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
}


@pytest.mark.parametrize("keyword", list(RFC4231_TC2))
def test_hmac_sha2_truncation_rfc4231(keyword: str) -> None:
    full = RFC4231_TC2[keyword]
    icv = mac_function(AUTHS[keyword], b"Jefe")(b"what do ya want for nothing?")
    assert icv.hex() == full[:AUTHS[keyword].icv_len * 2]
    assert len(icv) * 2 == len(full) // 2  # RFC 4868 §2.3: half of the digest


def test_hmac_sha1_96_rfc2202_case2() -> None:
    """RFC 2202 §3 test case 2, truncated to 96 bits (RFC 2404 §2)."""
    icv = mac_function(AUTHS["sha1-hmac"], b"Jefe")(b"what do ya want for nothing?")
    assert icv.hex() == "effcdf6ae5eb2fa2d27416d5"


def test_sm4_gbt32907_example() -> None:
    """GB/T 32907-2016 Appendix A example 1 (also RFC 8998 §A): one block, key = plaintext."""
    k = bytes.fromhex("0123456789abcdeffedcba9876543210")
    t = CipherAuthTransform(CIPHERS["sm4-cbc"], k, AUTHS["null"], b"")
    # CBC with a zero IV on one block is plain ECB
    assert t.seal(bytes(8), b"", bytes(16), k).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_gbt32905_abc() -> None:
    """GB/T 32905-2016 Appendix A.1: SM3("abc"); the ESP HMAC uses this hash."""
    assert hashlib.new("sm3", b"abc").hexdigest() == \
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_gcm_keystream_counter_starts_at_two() -> None:
    """McGrew–Viega GCM spec Test Case 2 (zero key, zero 96-bit IV): C = 0388dace…; the
    unauthenticated path decrypts from counter J0+1 = IV ‖ 2."""
    c = Cipher(algorithms.AES(bytes(16)), modes.CTR(bytes(12) + b"\x00\x00\x00\x02")).encryptor()
    assert c.update(bytes(16)).hex() == "0388dace60b6a392f328c2b971b2fe78"
