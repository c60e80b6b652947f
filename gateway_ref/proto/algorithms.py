"""The secgw algorithm keywords as data (secgw-reference.md Tables A, B and C).

One record per cfg keyword; the cfg parser checks key lengths against it, the crypto layer
builds transforms from it. ``key_len`` is the byte count written in the cfg, salt/nonce included.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class AlgoKind(enum.Enum):
    CIPHER = "cipher"
    AUTH = "auth"
    AEAD = "aead"


@dataclass(frozen=True)
class Algorithm:
    keyword: str
    kind: AlgoKind
    key_len: int  # bytes in the cfg, salt included
    salt_len: int  # trailing bytes of the cfg key used as salt/nonce
    iv_len: int  # IV bytes carried in each packet
    align: int  # library-engine padding alignment (ciphers/AEAD); 0 for auth
    legacy_align: int  # legacy-engine padding alignment
    icv_len: int  # auth/AEAD ICV bytes
    library: bool  # supported by the library engine (-l)
    legacy: bool  # supported by the legacy engine
    rfc: str


def _cipher(kw: str, key: int, salt: int, iv: int, align: int, legacy_align: int, library: bool, rfc: str) -> Algorithm:
    return Algorithm(kw, AlgoKind.CIPHER, key, salt, iv, align, legacy_align, 0, library, True, rfc)


def _auth(kw: str, key: int, salt: int, iv: int, icv: int, library: bool, legacy: bool, rfc: str) -> Algorithm:
    return Algorithm(kw, AlgoKind.AUTH, key, salt, iv, 0, 0, icv, library, legacy, rfc)


def _aead(kw: str, key: int, legacy: bool, rfc: str) -> Algorithm:
    return Algorithm(kw, AlgoKind.AEAD, key, 4, 8, 4, 4, 16, True, legacy, rfc)


CIPHERS: dict[str, Algorithm] = {a.keyword: a for a in (
    _cipher("null", 0, 0, 0, 4, 4, True, "RFC 2410"),
    _cipher("aes-128-cbc", 16, 0, 16, 16, 16, True, "RFC 3602"),
    _cipher("aes-192-cbc", 24, 0, 16, 16, 16, True, "RFC 3602"),
    _cipher("aes-256-cbc", 32, 0, 16, 16, 16, True, "RFC 3602"),
    _cipher("aes-128-ctr", 20, 4, 8, 4, 4, True, "RFC 3686"),
    _cipher("aes-192-ctr", 28, 4, 8, 4, 16, True, "RFC 3686"),
    _cipher("aes-256-ctr", 36, 4, 8, 4, 16, True, "RFC 3686"),
    _cipher("3des-cbc", 24, 0, 8, 8, 8, True, "RFC 2451"),
    _cipher("des-cbc", 8, 0, 8, 8, 8, False, "RFC 2405"),
    _cipher("sm4-cbc", 16, 0, 16, 16, 16, False, "RFC 8998"),
)}

AUTHS: dict[str, Algorithm] = {a.keyword: a for a in (
    _auth("null", 0, 0, 0, 0, True, True, "RFC 4303"),
    _auth("sha1-hmac", 20, 0, 0, 12, True, True, "RFC 2404"),
    _auth("sha256-hmac", 32, 0, 0, 16, True, True, "RFC 4868"),
    _auth("sha384-hmac", 48, 0, 0, 24, True, False, "RFC 4868"),
    _auth("sha512-hmac", 64, 0, 0, 32, True, False, "RFC 4868"),
    _auth("aes-gmac", 20, 4, 8, 16, True, False, "RFC 4543"),
    _auth("aes-xcbc-mac-96", 16, 0, 0, 12, True, True, "RFC 3566"),
    _auth("sm3-hmac", 20, 0, 0, 12, True, True, "GB/T 32905"),
)}

AEADS: dict[str, Algorithm] = {a.keyword: a for a in (
    _aead("aes-128-gcm", 20, True, "RFC 4106"),
    _aead("aes-192-gcm", 28, True, "RFC 4106"),
    _aead("aes-256-gcm", 36, True, "RFC 4106"),
    _aead("aes-128-ccm", 20, False, "RFC 4309"),
    _aead("aes-192-ccm", 28, False, "RFC 4309"),
    _aead("aes-256-ccm", 36, False, "RFC 4309"),
    _aead("chacha20-poly1305", 36, False, "RFC 7634"),
)}
