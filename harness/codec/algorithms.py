"""The harness's own ESP algorithm table, one row per DPDK ipsec-secgw keyword.

Written from the RFCs (sizes cross-checked with secgw's Tables A–C in the shared reference):
- ciphers: NULL (RFC 2410), AES-CBC (RFC 3602), AES-CTR (RFC 3686 §4–5: cfg key = key ‖
  4-byte nonce), 3DES-CBC (RFC 2451), DES-CBC (RFC 2405), SM4-CBC (RFC 8998 block cipher,
  ESP use as for AES-CBC);
- integrity: HMAC-SHA1-96 (RFC 2404), HMAC-SHA-256-128/384-192/512-256 (RFC 4868 §2),
  AES-GMAC (RFC 4543: cfg key = key ‖ 4-byte salt, 8-byte IV, 16-byte ICV),
  AES-XCBC-MAC-96 (RFC 3566), HMAC-SM3 truncated to 96 bits (secgw's sm3-hmac);
- AEAD (cfg key = key ‖ 4-byte salt, 8-byte IV, 16-byte ICV): AES-GCM (RFC 4106),
  AES-CCM (RFC 4309; nonce = first 3 salt bytes ‖ IV, secgw quirk: 4th salt byte ignored),
  ChaCha20-Poly1305 (RFC 7634).

Padding alignment (RFC 4303 §2.4): the cipher block size for CBC ciphers (AES/SM4 16,
DES/3DES 8), otherwise 4.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class BlockCipher(enum.Enum):
    """Block cipher primitive behind a cipher, GMAC or AEAD keyword."""

    NONE = "none"
    AES = "aes"
    TDES = "3des"
    DES = "des"
    SM4 = "sm4"
    CHACHA20 = "chacha20"


class CipherMode(enum.Enum):
    """How a non-AEAD cipher is applied."""

    NULL = "null"
    CBC = "cbc"
    CTR = "ctr"


class AuthKind(enum.Enum):
    """How a non-AEAD integrity algorithm computes the ICV."""

    NULL = "null"
    HMAC = "hmac"
    XCBC = "xcbc"
    GMAC = "gmac"


class AeadKind(enum.Enum):
    """AEAD construction."""

    GCM = "gcm"
    CCM = "ccm"
    CHACHA20_POLY1305 = "chacha20-poly1305"


@dataclass(frozen=True)
class CipherInfo:
    """A cipher keyword: ``key_len`` is what the cfg gives (salt/nonce included),
    ``salt_len`` its trailing part, ``iv_len`` bytes carried per packet, ``pad_align``."""

    keyword: str
    primitive: BlockCipher
    mode: CipherMode
    key_len: int
    salt_len: int
    iv_len: int
    pad_align: int
    rfc: str


@dataclass(frozen=True)
class AuthInfo:
    """An integrity keyword: ``key_len`` as in the cfg (GMAC: 16 + 4 salt), ``icv_len`` the
    truncated ICV, ``hash_name`` for HMAC (hashlib/cryptography name), ``iv_len`` (GMAC 8)."""

    keyword: str
    kind: AuthKind
    key_len: int
    salt_len: int
    icv_len: int
    hash_name: str
    iv_len: int
    rfc: str


@dataclass(frozen=True)
class AeadInfo:
    """An AEAD keyword: cfg key = key ‖ salt; ``nonce_salt_len`` salt bytes used in the nonce."""

    keyword: str
    kind: AeadKind
    key_len: int
    salt_len: int
    nonce_salt_len: int
    iv_len: int
    icv_len: int
    pad_align: int
    rfc: str


def _c(keyword: str, prim: BlockCipher, mode: CipherMode, key: int, salt: int, iv: int,
       align: int, rfc: str) -> CipherInfo:
    return CipherInfo(keyword, prim, mode, key, salt, iv, align, rfc)


CIPHERS: dict[str, CipherInfo] = {c.keyword: c for c in (
    _c("null", BlockCipher.NONE, CipherMode.NULL, 0, 0, 0, 4, "RFC 2410"),
    _c("aes-128-cbc", BlockCipher.AES, CipherMode.CBC, 16, 0, 16, 16, "RFC 3602"),
    _c("aes-192-cbc", BlockCipher.AES, CipherMode.CBC, 24, 0, 16, 16, "RFC 3602"),
    _c("aes-256-cbc", BlockCipher.AES, CipherMode.CBC, 32, 0, 16, 16, "RFC 3602"),
    _c("aes-128-ctr", BlockCipher.AES, CipherMode.CTR, 20, 4, 8, 4, "RFC 3686"),
    _c("aes-192-ctr", BlockCipher.AES, CipherMode.CTR, 28, 4, 8, 4, "RFC 3686"),
    _c("aes-256-ctr", BlockCipher.AES, CipherMode.CTR, 36, 4, 8, 4, "RFC 3686"),
    _c("3des-cbc", BlockCipher.TDES, CipherMode.CBC, 24, 0, 8, 8, "RFC 2451"),
    _c("des-cbc", BlockCipher.DES, CipherMode.CBC, 8, 0, 8, 8, "RFC 2405"),
    _c("sm4-cbc", BlockCipher.SM4, CipherMode.CBC, 16, 0, 16, 16, "RFC 8998"),
)}

AUTHS: dict[str, AuthInfo] = {a.keyword: a for a in (
    AuthInfo("null", AuthKind.NULL, 0, 0, 0, "", 0, "RFC 4303 §3.2"),
    AuthInfo("sha1-hmac", AuthKind.HMAC, 20, 0, 12, "sha1", 0, "RFC 2404"),
    AuthInfo("sha256-hmac", AuthKind.HMAC, 32, 0, 16, "sha256", 0, "RFC 4868"),
    AuthInfo("sha384-hmac", AuthKind.HMAC, 48, 0, 24, "sha384", 0, "RFC 4868"),
    AuthInfo("sha512-hmac", AuthKind.HMAC, 64, 0, 32, "sha512", 0, "RFC 4868"),
    AuthInfo("aes-gmac", AuthKind.GMAC, 20, 4, 16, "", 8, "RFC 4543"),
    AuthInfo("aes-xcbc-mac-96", AuthKind.XCBC, 16, 0, 12, "", 0, "RFC 3566"),
    AuthInfo("sm3-hmac", AuthKind.HMAC, 20, 0, 12, "sm3", 0, "GB/T 32905 (secgw sm3-hmac)"),
)}


def _a(keyword: str, kind: AeadKind, key: int, nonce_salt: int, rfc: str) -> AeadInfo:
    return AeadInfo(keyword, kind, key, 4, nonce_salt, 8, 16, 4, rfc)


AEADS: dict[str, AeadInfo] = {a.keyword: a for a in (
    _a("aes-128-gcm", AeadKind.GCM, 20, 4, "RFC 4106"),
    _a("aes-192-gcm", AeadKind.GCM, 28, 4, "RFC 4106"),
    _a("aes-256-gcm", AeadKind.GCM, 36, 4, "RFC 4106"),
    _a("aes-128-ccm", AeadKind.CCM, 20, 3, "RFC 4309"),
    _a("aes-192-ccm", AeadKind.CCM, 28, 3, "RFC 4309"),
    _a("aes-256-ccm", AeadKind.CCM, 36, 3, "RFC 4309"),
    _a("chacha20-poly1305", AeadKind.CHACHA20_POLY1305, 36, 4, "RFC 7634"),
)}


def lookup(table: dict, keyword: str, what: str):  # type: ignore[type-arg]
    """Table row for ``keyword``; ValueError naming the allowed keywords otherwise."""
    try:
        return table[keyword]
    except KeyError:
        raise ValueError(f"unknown {what} algorithm {keyword!r}; allowed: {', '.join(table)}") from None
