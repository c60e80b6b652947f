"""AES-XCBC-MAC (RFC 3566 §4), built on AES-CBC with a zero IV (a CBC-MAC under K1)."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_ZERO_IV = bytes(16)


def _xor16(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(16, "big")


class AesXcbcMac:
    """Keyed AES-XCBC-MAC; ``mac(msg)`` returns the full 16-byte value (ESP truncates to 96
    bits, RFC 3566 §4 "AES-XCBC-MAC-96")."""

    __slots__ = ("_k1", "_k2", "_k3")

    def __init__(self, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError(f"AES-XCBC-MAC needs a 16-byte key, got {len(key)}")
        ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        derived = ecb.update(b"\x01" * 16 + b"\x02" * 16 + b"\x03" * 16)
        self._k1 = algorithms.AES(derived[:16])
        self._k2 = derived[16:32]
        self._k3 = derived[32:48]

    def mac(self, msg: bytes) -> bytes:
        """RFC 3566 §4 steps 1–6: complete last block → XOR K2; incomplete or empty → pad
        with 0x80 0x00… and XOR K3; CBC-MAC under K1."""
        n = len(msg)
        rem = n % 16
        if n and not rem:
            head, last = msg[:-16], _xor16(msg[-16:], self._k2)
        else:
            head = msg[:n - rem]
            last = _xor16(msg[n - rem:] + b"\x80" + bytes(15 - rem), self._k3)
        enc = Cipher(self._k1, modes.CBC(_ZERO_IV)).encryptor()
        return (enc.update(head + last))[-16:]
