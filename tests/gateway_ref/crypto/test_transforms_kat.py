"""Transform known answers from public sources and a second primitive (pycryptodome).

Sources: RFC 3566 §4 (AES-XCBC-MAC test cases), RFC 3686 §6 test vector #1 (AES-CTR),
RFC 4868 §2.7.2.1 Test Case AUTH256-1 (HMAC-SHA-256, 32-byte key, truncated to 128 bits).
"""
from __future__ import annotations

import hashlib
import hmac

import pytest
from Crypto.Cipher import AES, DES, DES3, ChaCha20_Poly1305

from gateway_ref.crypto.transforms import TransformError, build_transform
from gateway_ref.crypto.xcbc import AesXcbcMac
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

XCBC_KEY = bytes(range(16))
XCBC_CASES = [  # RFC 3566 §4: message length -> AES-XCBC-MAC (full 128 bits)
    (0, "75f0251d528ac01c4573dfd584d79f29"),
    (3, "5b376580ae2f19afe7219ceef172756f"),
    (16, "d2a246fa349b68a79998a4394ff7a263"),
    (20, "47f51b4564966215b8985c63055ed308"),
    (32, "f54f0ec8d2b9f3d36807734bd5283fd4"),
    (34, "becbb3bccdb518a30677d5481fb6b4d8"),
    (1000, "f0dafee895db30253761103b5d84528f"),
]


@pytest.mark.parametrize("n,want", XCBC_CASES)
def test_xcbc_rfc3566(n: int, want: str) -> None:
    msg = bytes(n) if n == 1000 else bytes(range(n))
    assert AesXcbcMac(XCBC_KEY).mac(msg).hex() == want


def _t(cipher=None, ckey=b"", auth="null", akey=b"", aead=None, akey2=b"", esn=False):
    return build_transform(cipher, ckey, auth if cipher else None, akey, aead, akey2, esn=esn)


def test_aes_ctr_rfc3686_vector1() -> None:
    key = bytes.fromhex("AE6852F8121067CC4BF7A5765577F39E") + bytes.fromhex("00000030")
    tr = _t("aes-128-ctr", key)
    ct = tr.seal_packet(bytes(8), b"", bytes(8), b"Single block msg")
    assert ct.hex() == "e4095d4fb7a7b3792d6175a3261311b8"


def test_hmac_sha256_128_rfc4868() -> None:
    key = b"\x0b" * 32  # Test Case AUTH256-1
    tr = _t("null", b"", "sha256-hmac", key)
    data = tr.seal_packet(b"Hi T", b"", b"", b"here")  # HMAC over "Hi There" split as header || payload
    assert data[4:].hex() == "198a607eb44bfbc69903a0f1cf2bbdc5"


KEY16, SALT = bytes(range(16)), bytes.fromhex("cafebabe")
HDR, HI, IV = bytes.fromhex("0000a5f800000007"), bytes.fromhex("00000001"), bytes.fromhex("0001020304050607")
PLAIN = bytes(range(64))


@pytest.mark.parametrize("esn", [False, True])
def test_gcm_against_pycryptodome(esn: bool) -> None:
    tr = _t(aead="aes-128-gcm", akey2=KEY16 + SALT, esn=esn)
    c = AES.new(KEY16, AES.MODE_GCM, nonce=SALT + IV, mac_len=16)
    c.update(HDR[:4] + HI + HDR[4:] if esn else HDR)
    ct, tag = c.encrypt_and_digest(PLAIN)
    hi = HI if esn else b""
    assert tr.seal_packet(HDR, hi, IV, PLAIN) == ct + tag
    assert tr.open_packet(HDR, hi, IV, ct + tag) == PLAIN


def test_ccm_uses_three_salt_bytes() -> None:
    tr = _t(aead="aes-128-ccm", akey2=KEY16 + SALT)
    c = AES.new(KEY16, AES.MODE_CCM, nonce=SALT[:3] + IV, mac_len=16)
    c.update(HDR)
    ct, tag = c.encrypt_and_digest(PLAIN)
    assert tr.seal_packet(HDR, b"", IV, PLAIN) == ct + tag


def test_chacha20_poly1305_against_pycryptodome() -> None:
    key = bytes(range(32))
    tr = _t(aead="chacha20-poly1305", akey2=key + SALT, esn=True)
    c = ChaCha20_Poly1305.new(key=key, nonce=SALT + IV)
    c.update(HDR[:4] + HI + HDR[4:])
    ct, tag = c.encrypt_and_digest(PLAIN)
    assert tr.seal_packet(HDR, HI, IV, PLAIN) == ct + tag


def test_gmac_authenticates_header_iv_payload() -> None:
    tr = _t("null", b"", "aes-gmac", KEY16 + SALT)
    c = AES.new(KEY16, AES.MODE_GCM, nonce=SALT + IV, mac_len=16)
    c.update(HDR + IV + PLAIN)
    assert tr.seal_packet(HDR, b"", IV, PLAIN) == PLAIN + c.digest()


@pytest.mark.parametrize("esn", [False, True])
def test_cbc_hmac_against_pycryptodome_and_hashlib(esn: bool) -> None:
    akey = bytes(range(100, 132))
    tr = _t("aes-128-cbc", KEY16, "sha256-hmac", akey, esn=esn)
    iv = bytes(range(16))
    ct = AES.new(KEY16, AES.MODE_CBC, iv=iv).encrypt(PLAIN)
    icv = hmac.new(akey, HDR + iv + ct + (HI if esn else b""), hashlib.sha256).digest()[:16]
    hi = HI if esn else b""
    assert tr.seal_packet(HDR, hi, iv, PLAIN) == ct + icv
    assert tr.open_packet(HDR, hi, iv, ct + icv) == PLAIN


def test_cbc_iv_is_encrypted_counter_block() -> None:
    tr = _t("aes-128-cbc", KEY16, "sha1-hmac", bytes(20))
    want = AES.new(KEY16, AES.MODE_ECB).encrypt((5).to_bytes(8, "big") + bytes(8))
    assert tr.make_iv(5) == want and tr.make_iv(6) != want


def test_3des_and_des_against_pycryptodome() -> None:
    k3 = bytes.fromhex("0123456789abcdeffedcba987654321089abcdef01234567")
    iv = bytes(range(8))
    tr = _t("3des-cbc", k3, "sha1-hmac", bytes(20))
    assert tr.seal_packet(HDR, b"", iv, PLAIN)[:64] == DES3.new(k3, DES3.MODE_CBC, iv=iv).encrypt(PLAIN)
    tr1 = _t("des-cbc", k3[:8], "sha1-hmac", bytes(20))  # run as 3DES k|k|k = single DES
    assert tr1.seal_packet(HDR, b"", iv, PLAIN)[:64] == DES.new(k3[:8], DES.MODE_CBC, iv=iv).encrypt(PLAIN)


ALL = ([{"aead": a} for a in AEADS]
       + [{"cipher": c, "auth": "sha1-hmac"} for c in CIPHERS]
       + [{"cipher": "aes-128-cbc", "auth": a} for a in AUTHS if a != "aes-gmac"]
       + [{"cipher": "null", "auth": "aes-gmac"}])


def _build(kw: dict, esn: bool):
    def k(table, name, seed):
        return bytes((seed + i) & 0xFF for i in range(table[name].key_len)) if name else b""
    c, a, d = kw.get("cipher"), kw.get("auth"), kw.get("aead")
    return build_transform(c, k(CIPHERS, c, 1), a, k(AUTHS, a, 2), d, k(AEADS, d, 3), esn=esn)


@pytest.mark.parametrize("esn", [False, True])
@pytest.mark.parametrize("kw", ALL, ids=["+".join(k.values()) for k in ALL])
def test_every_keyword_opens_what_it_seals_and_rejects_tampering(kw: dict, esn: bool) -> None:
    tr = _build(kw, esn)
    iv = tr.make_iv(9)
    hi = HI if esn else b""
    assert len(iv) == tr.iv_len
    sealed = tr.seal_packet(HDR, hi, iv, PLAIN)
    assert len(sealed) == len(PLAIN) + tr.icv_len
    assert tr.open_packet(HDR, hi, iv, sealed) == PLAIN
    if tr.icv_len:
        assert tr.open_packet(HDR, hi, iv, sealed[:-1] + bytes((sealed[-1] ^ 1,))) is None
        assert tr.open_packet(HDR[:4] + b"\x00\x00\x00\x08", hi, iv, sealed) is None  # seq covered
        if esn:
            assert tr.open_packet(HDR, b"\x00\x00\x00\x02", iv, sealed) is None  # high bits covered


def test_bad_key_length_and_combination_are_errors() -> None:
    with pytest.raises(TransformError, match="aes-128-gcm: key must be 20 bytes, got 16"):
        build_transform(None, b"", None, b"", "aes-128-gcm", bytes(16), esn=False)
    with pytest.raises(TransformError, match="aes-gmac authenticates only"):
        build_transform("aes-128-cbc", bytes(16), "aes-gmac", bytes(20), None, b"", esn=False)
    with pytest.raises(TransformError, match="unknown algorithm keyword 'rot13'"):
        build_transform(None, b"", None, b"", "rot13", b"", esn=False)
