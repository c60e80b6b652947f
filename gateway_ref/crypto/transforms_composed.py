"""Cipher + integrity transforms (RFC 4303 §3.3.2: encrypt, then ICV over the ciphertext).

ICV = truncated MAC over ESP header || IV || ciphertext, followed by the 4 high-order sequence
bytes when ESN is on (RFC 4303 §2.2.1, §3.3.2.1: included in the ICV, never sent).
Ciphers: NULL (RFC 2410), AES-CBC (RFC 3602), AES-CTR (RFC 3686: counter block =
nonce(4) || IV(8) || 00000001), 3DES-CBC (RFC 2451), DES-CBC (RFC 2405, run as 3DES with
k|k|k), SM4-CBC (RFC 8998). Integrity: HMAC-SHA1-96 (RFC 2404), HMAC-SHA-256/384/512 truncated
to half (RFC 4868 §2.3), HMAC-SM3-96, AES-XCBC-MAC-96 (RFC 3566). HMAC templates are copied per
packet; the Cipher objects are rebuilt per packet only where the mode needs a new IV.
"""
from __future__ import annotations

import hmac as _hmac
import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gateway_ref.crypto.transforms_base import SEQ_IV, IvFn, Transform
from gateway_ref.crypto.xcbc import AesXcbcMac
from gateway_ref.proto.algorithms import Algorithm

_Q = struct.Struct(">Q").pack
_CTR_ONE = b"\x00\x00\x00\x01"
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1-hmac": hashes.SHA1, "sha256-hmac": hashes.SHA256, "sha384-hmac": hashes.SHA384,
    "sha512-hmac": hashes.SHA512, "sm3-hmac": lambda: hashes.SM3(),
}

CipherFn = Callable[[bytes, bytes], bytes]  # (iv, data) -> data
MacFn = Callable[[bytes], bytes]


def _triple_des(key: bytes) -> algorithms.BlockCipherAlgorithm:
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # cryptography < 43
        TripleDES = algorithms.TripleDES  # type: ignore[attr-defined,misc]
    return TripleDES(key)


def _block_algorithm(keyword: str, key: bytes) -> algorithms.BlockCipherAlgorithm:
    if keyword.startswith("aes-"):
        return algorithms.AES(key)
    if keyword == "3des-cbc":
        return _triple_des(key)
    if keyword == "des-cbc":
        return _triple_des(key * 3)
    return algorithms.SM4(key)


def _cipher(algo: Algorithm, cfg_key: bytes) -> tuple[CipherFn, CipherFn, IvFn]:
    """(encrypt, decrypt, make_iv) for a cipher keyword."""
    kw = algo.keyword
    if kw == "null":
        def same(iv: bytes, data: bytes) -> bytes:
            return data
        return same, same, lambda seq: b""
    if kw.endswith("-ctr"):
        aes = algorithms.AES(cfg_key[:-4])
        nonce = cfg_key[-4:]

        def ctr(iv: bytes, data: bytes) -> bytes:
            return Cipher(aes, modes.CTR(nonce + iv + _CTR_ONE)).encryptor().update(data)
        ctr(bytes(8), b"")
        return ctr, ctr, SEQ_IV
    block_alg = _block_algorithm(kw, cfg_key)
    pad = bytes(algo.iv_len - 8)
    ecb = Cipher(block_alg, modes.ECB()).encryptor()  # stateless between blocks: reusable

    def make_iv(seq: int) -> bytes:
        return ecb.update(_Q(seq) + pad)

    def cbc_enc(iv: bytes, data: bytes) -> bytes:
        return Cipher(block_alg, modes.CBC(iv)).encryptor().update(data)

    def cbc_dec(iv: bytes, data: bytes) -> bytes:
        return Cipher(block_alg, modes.CBC(iv)).decryptor().update(data)
    make_iv(0)
    return cbc_enc, cbc_dec, make_iv


def _mac(algo: Algorithm, key: bytes) -> MacFn | None:
    kw = algo.keyword
    n = algo.icv_len
    if kw == "null":
        return None
    if kw == "aes-xcbc-mac-96":
        return AesXcbcMac(key).mac96
    template = c_hmac.HMAC(key, _HASHES[kw]())

    def mac(data: bytes) -> bytes:
        h = template.copy()
        h.update(data)
        return h.finalize()[:n]
    return mac


def build_composed(calgo: Algorithm, ckey: bytes, aalgo: Algorithm, akey: bytes, esn: bool) -> Transform:
    enc, dec, make_iv = _cipher(calgo, ckey)
    mac = _mac(aalgo, akey)
    name = f"{calgo.keyword}+{aalgo.keyword}"
    if mac is None:
        def seal0(iv: bytes, plain: bytes, aad: bytes) -> bytes:
            return enc(iv, plain)

        def open0(iv: bytes, data: bytes, aad: bytes) -> bytes:
            return dec(iv, data)
        return Transform(name, calgo.iv_len, 0, b"", seal0, open0, make_iv)
    n = aalgo.icv_len
    compare = _hmac.compare_digest

    def mac_input(aad: bytes, iv: bytes, ct: bytes) -> bytes:
        # ESN: aad = SPI || hi || lo; the ICV covers SPI || lo || IV || ct || hi (RFC 4303 §2.2.1)
        return aad[:4] + aad[8:] + iv + ct + aad[4:8] if esn else aad + iv + ct

    def seal(iv: bytes, plain: bytes, aad: bytes) -> bytes:
        ct = enc(iv, plain)
        return ct + mac(mac_input(aad, iv, ct))

    def open_(iv: bytes, data: bytes, aad: bytes) -> bytes:
        ct = data[:-n]
        if not compare(mac(mac_input(aad, iv, ct)), data[-n:]):
            raise InvalidTag
        return dec(iv, ct)
    mac(b"")
    return Transform(name, calgo.iv_len, n, b"", seal, open_, make_iv)
