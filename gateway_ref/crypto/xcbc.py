"""AES-XCBC-MAC-96 (RFC 3566 §4) built on AES-ECB/CBC from ``cryptography``.

K1 = E(K, 0x01^16), K2 = E(K, 0x02^16), K3 = E(K, 0x03^16). The message is CBC-MACed under K1;
the last block is XORed with K2 when complete, or padded with 0x80 0x00... and XORed with K3.
A CBC encryptor with a zero IV over all blocks gives the MAC as its last output block.
"""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16
_ZERO_IV = bytes(BLOCK)


class AesXcbcMac:
    """AES-XCBC-MAC with a 128-bit key; ``mac`` gives the full 16 bytes, ``mac96`` the ICV."""

    __slots__ = ("_cbc", "_k2", "_k3")

    def __init__(self, key: bytes) -> None:
        if len(key) != BLOCK:
            raise ValueError(f"AES-XCBC-MAC key must be 16 bytes, got {len(key)}")
        ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        k1 = ecb.update(b"\x01" * BLOCK)
        self._k2 = int.from_bytes(ecb.update(b"\x02" * BLOCK), "big")
        self._k3 = int.from_bytes(ecb.update(b"\x03" * BLOCK), "big")
        self._cbc = Cipher(algorithms.AES(k1), modes.CBC(_ZERO_IV))

    def mac(self, msg: bytes) -> bytes:
        n = len(msg)
        rem = n % BLOCK
        if n and not rem:
            body, last, k = msg[:n - BLOCK], msg[n - BLOCK:], self._k2
        else:
            body = msg[:n - rem]
            last = msg[n - rem:] + b"\x80" + bytes(BLOCK - 1 - rem)
            k = self._k3
        last = (int.from_bytes(last, "big") ^ k).to_bytes(BLOCK, "big")
        return self._cbc.encryptor().update(body + last)[-BLOCK:]

    def mac96(self, msg: bytes) -> bytes:
        return self.mac(msg)[:12]
