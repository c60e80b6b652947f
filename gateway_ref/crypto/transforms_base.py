"""The transform record and its callable types (see ``transforms`` for the per-packet contract)."""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

SealFn = Callable[[bytes, bytes, bytes], bytes]  # (x, plain, aad) -> ciphertext || ICV
OpenFn = Callable[[bytes, bytes, bytes], bytes]  # (x, ciphertext || ICV, aad) -> plain; raises
IvFn = Callable[[int], bytes]

SEQ_IV: IvFn = struct.Struct(">Q").pack


class TransformError(ValueError):
    """An algorithm combination or key this build cannot turn into a transform."""


def esp_aad(hdr: bytes, seq_hi: bytes) -> bytes:
    """SPI || seq (8 bytes), or SPI || seq_hi || seq_lo (12 bytes) with ESN (RFC 4106 §5)."""
    return hdr[:4] + seq_hi + hdr[4:] if seq_hi else hdr


@dataclass(frozen=True)
class Transform:
    """``seal``/``open`` take ``x = salt || IV`` (salt is b"" for non-AEAD ciphers), the data,
    and the AAD from ``esp_aad``. ``open`` raises (InvalidTag) when the ICV is wrong. For AEADs
    they are the ``cryptography`` object's own methods: no Python frame on the hot path."""

    name: str
    iv_len: int
    icv_len: int
    salt: bytes
    seal: SealFn
    open: OpenFn
    make_iv: IvFn

    def seal_packet(self, hdr: bytes, seq_hi: bytes, iv: bytes, plain: bytes) -> bytes:
        """Convenience (tests, tools): seal with the ESP header and ESN high bits."""
        return self.seal(self.salt + iv, plain, esp_aad(hdr, seq_hi))

    def open_packet(self, hdr: bytes, seq_hi: bytes, iv: bytes, data: bytes) -> bytes | None:
        """Convenience: the plaintext, or None when the ICV does not verify."""
        try:
            return self.open(self.salt + iv, data, esp_aad(hdr, seq_hi))
        except Exception:
            return None
