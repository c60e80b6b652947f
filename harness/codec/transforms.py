"""ESP cryptographic transforms per SA: how the ICV and ciphertext are computed.

- Cipher + integrity (RFC 4303 §3.3.2, §2.8): ICV = MAC(SPI ‖ Seq ‖ IV ‖ ciphertext
  [‖ Seq-high when ESN, §2.2.1]) truncated; AES-CTR counter block nonce ‖ IV ‖ 1 (RFC 3686 §4).
- AES-GMAC (RFC 4543 §3): no encryption; GCM over empty plaintext with
  AAD = SPI ‖ Seq (or SPI ‖ Seq-high ‖ Seq-low) ‖ IV ‖ payload; nonce = salt ‖ IV.
- AEAD (RFC 4106 §5, RFC 4309 §5, RFC 7634 §2.1): AAD = SPI ‖ Seq (8 B) or SPI ‖ Seq-high ‖
  Seq-low (12 B); nonce salt ‖ IV (CCM: 3-byte salt ‖ IV).

``open`` never raises: a failed tag still yields the keystream decryption (marked unverified by
``icv_ok=False``) so a verifier can tell "wrong ICV" from "wrong encryption".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from harness.codec.algorithms import (AEADS, AUTHS, CIPHERS, AeadInfo, AeadKind, AuthInfo, AuthKind,
                                      BlockCipher, CipherInfo, CipherMode)
from harness.codec.xcbc import AesXcbcMac

_CTR_ONE = b"\x00\x00\x00\x01"
_CTR_TWO = b"\x00\x00\x00\x02"


def _block_algorithm(prim: BlockCipher, key: bytes) -> algorithms.BlockCipherAlgorithm:
    if prim is BlockCipher.AES:
        return algorithms.AES(key)
    if prim is BlockCipher.SM4:
        return algorithms.SM4(key)
    if prim is BlockCipher.TDES:
        return TripleDES(key)
    if prim is BlockCipher.DES:
        return TripleDES(key * 3)  # EDE with K1=K2=K3 is single DES
    raise ValueError(f"no block algorithm for {prim}")


class EspTransform(Protocol):
    """Crypto for one SA. ``seal(hdr8, seq_hi, iv, plaintext) -> ciphertext ‖ ICV`` and
    ``open(hdr8, seq_hi, iv, ciphertext, icv) -> (icv_ok, plaintext)``; ``seq_hi`` is b"" or
    the 4-byte ESN high half."""

    iv_len: int
    icv_len: int
    pad_align: int
    block_len: int
    counter_iv: bool

    def seal(self, hdr8: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes: ...

    def open(self, hdr8: bytes, seq_hi: bytes, iv: bytes, ct: bytes, icv: bytes) -> tuple[bool, bytes]: ...


class AeadTransform:
    """AES-GCM, AES-CCM or ChaCha20-Poly1305 as an ESP AEAD (RFC 4106/4309/7634)."""

    def __init__(self, info: AeadInfo, key: bytes) -> None:
        raw, salt = key[:-info.salt_len], key[-info.salt_len:]
        self.salt = salt[:info.nonce_salt_len]
        self.kind = info.kind
        self.iv_len, self.icv_len, self.pad_align, self.block_len = info.iv_len, info.icv_len, info.pad_align, 1
        self.counter_iv = True
        self._raw = raw
        if info.kind is AeadKind.GCM:
            self.aead: AESGCM | AESCCM | ChaCha20Poly1305 = AESGCM(raw)
        elif info.kind is AeadKind.CCM:
            self.aead = AESCCM(raw, tag_length=info.icv_len)
        else:
            self.aead = ChaCha20Poly1305(raw)

    def seal(self, hdr8: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        aad = hdr8[:4] + seq_hi + hdr8[4:] if seq_hi else hdr8
        return self.aead.encrypt(self.salt + iv, plaintext, aad)

    def open(self, hdr8: bytes, seq_hi: bytes, iv: bytes, ct: bytes, icv: bytes) -> tuple[bool, bytes]:
        aad = hdr8[:4] + seq_hi + hdr8[4:] if seq_hi else hdr8
        nonce = self.salt + iv
        try:
            return True, self.aead.decrypt(nonce, ct + icv, aad)
        except (InvalidTag, ValueError):
            return False, self._keystream(nonce, ct)

    def _keystream(self, nonce: bytes, ct: bytes) -> bytes:
        """Unauthenticated decryption: GCM payload counter starts at 2 (J0 + 1, nonce of 12
        bytes, NIST SP 800-38D §7.1); CCM counter blocks A_i = flags(L−1) ‖ nonce ‖ i from 1
        (RFC 3610 §2.3); ChaCha20 block counter 1 (RFC 8439 §2.8)."""
        if self.kind is AeadKind.GCM:
            cipher = Cipher(algorithms.AES(self._raw), modes.CTR(nonce + _CTR_TWO))
        elif self.kind is AeadKind.CCM:
            cipher = Cipher(algorithms.AES(self._raw), modes.CTR(bytes((14 - len(nonce),)) + nonce + _CTR_ONE))
        else:
            cipher = Cipher(algorithms.ChaCha20(self._raw, b"\x01\x00\x00\x00" + nonce), None)
        return cipher.decryptor().update(ct)


_HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sm3": hashes.SM3}


def mac_function(info: AuthInfo, key: bytes) -> Callable[[bytes], bytes]:
    """Truncated ICV function (HMAC per RFC 2104 with the RFC 2404/4868 truncation, or
    AES-XCBC-MAC-96); NULL gives an empty ICV. HMAC copies a keyed template per message
    (the key schedule is done once)."""
    n = info.icv_len
    if info.kind is AuthKind.HMAC:
        template = HMAC(key, _HASHES[info.hash_name]())

        def mac(msg: bytes) -> bytes:
            h = template.copy()
            h.update(msg)
            return h.finalize()[:n]
        return mac
    if info.kind is AuthKind.XCBC:
        mac = AesXcbcMac(key).mac
        return lambda msg: mac(msg)[:n]
    return lambda msg: b""


class CipherAuthTransform:
    """A cipher (NULL/CBC/CTR) with an HMAC, XCBC or NULL integrity algorithm."""

    def __init__(self, cipher: CipherInfo, cipher_key: bytes, auth: AuthInfo, auth_key: bytes) -> None:
        self.iv_len, self.icv_len, self.pad_align = cipher.iv_len, auth.icv_len, cipher.pad_align
        self.block_len = cipher.iv_len if cipher.mode is CipherMode.CBC else 1
        self.mode = cipher.mode
        self.counter_iv = cipher.mode is CipherMode.CTR
        if cipher.mode is CipherMode.CTR:
            self._alg = _block_algorithm(cipher.primitive, cipher_key[:-cipher.salt_len])
            self._nonce = cipher_key[-cipher.salt_len:]
        elif cipher.mode is CipherMode.CBC:
            self._alg = _block_algorithm(cipher.primitive, cipher_key)
            self._cbc = _CbcContexts(self._alg, self.block_len)
        self._mac = mac_function(auth, auth_key)

    def _cipher(self, iv: bytes) -> Cipher:
        if self.mode is CipherMode.CTR:
            return Cipher(self._alg, modes.CTR(self._nonce + iv + _CTR_ONE))
        return Cipher(self._alg, modes.CBC(iv))

    def seal(self, hdr8: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        mode = self.mode
        if mode is CipherMode.NULL:
            ct = plaintext
        elif mode is CipherMode.CBC and not len(plaintext) % self.block_len and len(iv) == self.block_len:
            ct = self._cbc.encrypt(iv, plaintext)
        else:
            ct = self._cipher(iv).encryptor().update(plaintext)
        return ct + self._mac(hdr8 + iv + ct + seq_hi)

    def open(self, hdr8: bytes, seq_hi: bytes, iv: bytes, ct: bytes, icv: bytes) -> tuple[bool, bytes]:
        ok = hmac.compare_digest(self._mac(hdr8 + iv + ct + seq_hi), icv)
        if self.mode is CipherMode.NULL:
            return ok, ct
        usable = len(ct) - len(ct) % self.block_len
        if self.mode is CipherMode.CBC and len(iv) == self.block_len:
            return ok, self._cbc.decrypt(iv, ct[:usable])
        return ok, self._cipher(iv).decryptor().update(ct[:usable])


class _CbcContexts:
    """CBC (NIST SP 800-38A §6.2) with two long-lived OpenSSL contexts per key instead of a
    new ``Cipher`` per packet (whose set-up costs ~10x the encryption of a small packet).

    Encryption keeps one CBC encryptor running across packets: its chaining value is the last
    ciphertext block it produced. Feeding first X = D_K(IV) xor chain makes the encryptor
    output E_K(X xor chain) = IV, after which it chains from the wanted IV, so the packet's
    ciphertext is exactly CBC(K, IV, plaintext). Decryption is P_i = D_K(C_i) xor C_(i-1) with
    C_0 = IV: one ECB decryption of the whole ciphertext and one XOR. Whole blocks and
    block-sized IVs only (the transform falls back to a per-packet ``Cipher`` otherwise)."""

    def __init__(self, alg: algorithms.BlockCipherAlgorithm, block: int) -> None:
        self._block = block
        self._chain = bytes(block)
        self._enc = Cipher(alg, modes.CBC(self._chain)).encryptor()
        self._dec = Cipher(alg, modes.ECB()).decryptor()

    def encrypt(self, iv: bytes, plaintext: bytes) -> bytes:
        b = self._block
        first = _xor(self._dec.update(iv), self._chain)
        out = self._enc.update(first + plaintext)
        self._chain = out[-b:]
        return out[b:]

    def decrypt(self, iv: bytes, ct: bytes) -> bytes:
        if not ct:
            return b""
        return _xor(self._dec.update(ct), iv + ct[:-self._block])


def _xor(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of two equally long strings (as big integers: one C-level operation)."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


class GmacTransform:
    """AES-GMAC ESP (RFC 4543 §3.2–3.3): payload in clear, 16-byte tag over AAD."""

    def __init__(self, info: AuthInfo, key: bytes) -> None:
        self.iv_len, self.icv_len, self.pad_align, self.block_len = info.iv_len, info.icv_len, 4, 1
        self.counter_iv = True
        self._gcm = AESGCM(key[:-info.salt_len])
        self._salt = key[-info.salt_len:]

    def _tag(self, hdr8: bytes, seq_hi: bytes, iv: bytes, payload: bytes) -> bytes:
        head = hdr8[:4] + seq_hi + hdr8[4:] if seq_hi else hdr8
        return self._gcm.encrypt(self._salt + iv, b"", head + iv + payload)

    def seal(self, hdr8: bytes, seq_hi: bytes, iv: bytes, plaintext: bytes) -> bytes:
        return plaintext + self._tag(hdr8, seq_hi, iv, plaintext)

    def open(self, hdr8: bytes, seq_hi: bytes, iv: bytes, ct: bytes, icv: bytes) -> tuple[bool, bytes]:
        return hmac.compare_digest(self._tag(hdr8, seq_hi, iv, ct), icv), ct


def make_transform(cipher: str | None, cipher_key: bytes, auth: str | None, auth_key: bytes,
                   aead: str | None, aead_key: bytes) -> EspTransform:
    """Transform for validated keywords and keys (see ``EspSaSpec`` for validation)."""
    if aead is not None:
        return AeadTransform(AEADS[aead], aead_key)
    auth_info = AUTHS[auth or "null"]
    if auth_info.kind is AuthKind.GMAC:
        return GmacTransform(auth_info, auth_key)
    return CipherAuthTransform(CIPHERS[cipher or "null"], cipher_key, auth_info, auth_key)
