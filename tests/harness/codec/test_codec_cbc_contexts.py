"""The long-lived CBC contexts and HMAC templates of ``CipherAuthTransform`` give what a fresh
primitive per packet gives (pycryptodome as the independent reference), in any order of
packets, IVs and lengths."""
from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from Crypto.Cipher import AES, DES3

from harness.codec.algorithms import AUTHS, CIPHERS
from harness.codec.transforms import CipherAuthTransform


def _reference(keyword: str, key: bytes):  # noqa: ANN202 - (new cipher per packet)
    return (lambda iv: AES.new(key, AES.MODE_CBC, iv)) if keyword.startswith("aes") else \
        (lambda iv: DES3.new(key, DES3.MODE_CBC, iv))


@pytest.mark.parametrize("keyword, key_len, auth", [("aes-128-cbc", 16, "sha256-hmac"), ("aes-256-cbc", 32, "sha1-hmac"),
                                                    ("3des-cbc", 24, "sha512-hmac")])
def test_cbc_and_hmac_match_a_fresh_primitive_per_packet(keyword: str, key_len: int, auth: str) -> None:
    rng = random.Random(7)
    key = bytes(rng.randrange(256) for _ in range(key_len))
    if keyword == "3des-cbc":
        key = DES3.adjust_key_parity(key)
    akey = rng.randbytes(AUTHS[auth].key_len)
    t = CipherAuthTransform(CIPHERS[keyword], key, AUTHS[auth], akey)
    fresh = _reference(keyword, key)
    block, n = t.block_len, AUTHS[auth].icv_len
    for k in range(40):
        iv = rng.randbytes(block)
        pt = rng.randbytes(block * rng.randrange(0, 8))
        hdr = k.to_bytes(8, "big")
        sealed = t.seal(hdr, b"", iv, pt)
        ct = fresh(iv).encrypt(pt)
        assert sealed == ct + hmac.digest(akey, hdr + iv + ct, AUTHS[auth].hash_name)[:n]
        other_iv = rng.randbytes(block)  # decrypt something else in between: contexts are shared
        assert t.open(hdr, b"", other_iv, ct, b"")[1] == fresh(other_iv).decrypt(ct)
        assert t.open(hdr, b"", iv, ct, sealed[len(ct):]) == (True, pt)
    odd = t.seal(b"h" * 8, b"", bytes(block), b"x" * (block + 3))  # unaligned: fresh Cipher path, full blocks only
    assert odd[:block] == fresh(bytes(block)).encrypt(b"x" * block)
    assert t.seal(b"h" * 8, b"", bytes(block), b"y" * block)[:block] == fresh(bytes(block)).encrypt(b"y" * block)


def test_hmac_template_equals_hashlib() -> None:
    t = CipherAuthTransform(CIPHERS["null"], b"", AUTHS["sha384-hmac"], bytes(range(48)))
    msg = b"payload"
    assert t.seal(bytes(8), b"\x00\x00\x00\x01", b"", msg) == msg + hmac.new(
        bytes(range(48)), bytes(8) + msg + b"\x00\x00\x00\x01", hashlib.sha384).digest()[:24]
