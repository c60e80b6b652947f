"""Per-SA crypto transforms for every secgw algorithm keyword (secgw-reference Tables A-C).

A ``Transform`` is built once per SA from ``cryptography`` objects and exposes three callables
that ESP uses per packet:

* ``seal(x, plain, aad) -> ciphertext || ICV``
* ``open(x, ciphertext || ICV, aad) -> plain``, raising when the ICV is wrong
* ``make_iv(seq) -> IV`` (the sender's IV for sequence number SEQ)

``x`` is ``transform.salt || IV`` (the AEAD nonce; just the IV for other ciphers) and ``aad`` is
SPI || seq_lo, or SPI || seq_hi || seq_lo with ESN (``esp_aad``). For AEADs ``seal``/``open`` are
the library object's own ``encrypt``/``decrypt``. They touch no shared mutable state, so a
lookaside worker thread may call them.

AEAD nonces and AAD: RFC 4106 §4-5 (GCM), RFC 4309 §4-5 (CCM, 3-byte salt as secgw), RFC 7634
§2-3 (ChaCha20-Poly1305), RFC 4543 §3 (GMAC). Ciphers: RFC 3602 (AES-CBC), RFC 3686 (AES-CTR),
RFC 2451 (3DES-CBC), RFC 2405 (DES-CBC as 3DES with k|k|k), RFC 8998 (SM4-CBC). Integrity:
RFC 2404, RFC 4868 (HMAC-SHA-1/2, truncated), RFC 3566 (AES-XCBC-MAC-96), HMAC-SM3.

IVs (secgw §3.6): counter-mode and AEAD algorithms send the 64-bit big-endian sequence number.
CBC ciphers send E_K(seq_be64 || 0^(block-8)): unpredictable to anyone without the key, unique
per SA, and what secgw effectively puts on the wire when it CBC-encrypts the counter block.
"""
from __future__ import annotations

from gateway_ref.crypto.transforms_aead import build_aead, build_gmac
from gateway_ref.crypto.transforms_base import Transform, TransformError, esp_aad
from gateway_ref.crypto.transforms_composed import build_composed
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS, Algorithm

__all__ = ["Transform", "TransformError", "algorithms_of", "build_transform", "esp_aad"]


def algorithms_of(cipher: str | None, auth: str | None, aead: str | None) -> tuple[Algorithm, ...]:
    """The registry records named by an SA's keywords (AEAD alone, or cipher then auth)."""
    try:
        if aead is not None:
            return (AEADS[aead],)
        if cipher is None or auth is None:
            raise TransformError("an SA needs aead_algo, or both cipher_algo and auth_algo")
        return CIPHERS[cipher], AUTHS[auth]
    except KeyError as e:
        raise TransformError(f"unknown algorithm keyword {e.args[0]!r}") from None


def build_transform(cipher: str | None, cipher_key: bytes, auth: str | None, auth_key: bytes,
                    aead: str | None, aead_key: bytes, *, esn: bool) -> Transform:
    """The transform for one SA. Keys are as written in the cfg (salt/nonce included)."""
    algos = algorithms_of(cipher, auth, aead)
    keys = (aead_key,) if aead is not None else (cipher_key, auth_key)
    for algo, key in zip(algos, keys):
        if len(key) != algo.key_len:
            raise TransformError(f"{algo.keyword}: key must be {algo.key_len} bytes, got {len(key)}")
    try:
        if aead is not None:
            return build_aead(algos[0], aead_key)
        if auth == "aes-gmac":
            if cipher != "null":
                raise TransformError("aes-gmac authenticates only: use it with cipher_algo null (RFC 4543)")
            return build_gmac(AUTHS[auth], auth_key)
        return build_composed(algos[0], cipher_key, algos[1], auth_key, esn)
    except TransformError:
        raise
    except Exception as e:  # UnsupportedAlgorithm, ImportError, AttributeError from the library
        import cryptography
        raise TransformError(
            f"{'/'.join(a.keyword for a in algos)}: not supported by this crypto library "
            f"(cryptography {cryptography.__version__}): {e}") from None
