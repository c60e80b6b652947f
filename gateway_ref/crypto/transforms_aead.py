"""AEAD transforms: AES-GCM (RFC 4106), AES-CCM (RFC 4309), ChaCha20-Poly1305 (RFC 7634), and
AES-GMAC (RFC 4543, integrity only).

Nonce = salt(4) || IV(8) for GCM, ChaCha20-Poly1305 and GMAC; CCM uses the first 3 salt bytes ||
IV(8) = 11 bytes (RFC 4309 §4; secgw ignores the 4th configured salt byte). AAD = SPI || seq
(8 bytes) or SPI || seq_hi || seq_lo (12 bytes) with ESN (RFC 4106 §5). GMAC authenticates
AAD || IV || payload and encrypts nothing (RFC 4543 §3.2-3.3); its 16-byte ICV is the GCM tag.
The cryptography AEAD objects are built once and are safe to share between threads.
"""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from gateway_ref.crypto.transforms_base import SEQ_IV, Transform
from gateway_ref.proto.algorithms import Algorithm


def _aead_object(keyword: str, key: bytes) -> AESGCM | AESCCM | ChaCha20Poly1305:
    if keyword.endswith("-gcm"):
        return AESGCM(key)
    if keyword.endswith("-ccm"):
        return AESCCM(key, tag_length=16)
    return ChaCha20Poly1305(key)


def build_aead(algo: Algorithm, cfg_key: bytes) -> Transform:
    klen = algo.key_len - algo.salt_len
    key, salt = cfg_key[:klen], cfg_key[klen:]
    if algo.keyword.endswith("-ccm"):
        salt = salt[:3]
    obj = _aead_object(algo.keyword, key)
    obj.encrypt(salt + bytes(algo.iv_len), b"", b"")  # fail at SA creation if unsupported
    return Transform(algo.keyword, algo.iv_len, algo.icv_len, salt, obj.encrypt, obj.decrypt, SEQ_IV)


def build_gmac(algo: Algorithm, cfg_key: bytes) -> Transform:
    klen = algo.key_len - algo.salt_len
    key, salt = cfg_key[:klen], cfg_key[klen:]
    obj = AESGCM(key)
    enc, dec = obj.encrypt, obj.decrypt
    icv_len = algo.icv_len
    n = len(salt)

    def seal(x: bytes, plain: bytes, aad: bytes) -> bytes:
        return plain + enc(x, b"", aad + x[n:] + plain)

    def open_(x: bytes, data: bytes, aad: bytes) -> bytes:
        plain = data[:-icv_len]
        dec(x, data[-icv_len:], aad + x[n:] + plain)  # raises InvalidTag
        return plain

    seal(salt + bytes(algo.iv_len), b"", b"")
    return Transform("null+aes-gmac", algo.iv_len, icv_len, salt, seal, open_, SEQ_IV)
