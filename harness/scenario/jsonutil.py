"""Small helpers for the JSON forms of harness specs: enums, hex bytes and MAC text.

Every parse error is a ``ValueError`` naming the field.
"""
from __future__ import annotations

import enum
from typing import TypeVar

E = TypeVar("E", bound=enum.Enum)


def parse_enum(cls: type[E], value: object, field: str) -> E:
    """``cls(value)`` or a ValueError naming ``field`` and the allowed values."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        raise ValueError(f"{field} must be one of {[m.value for m in cls]}, got {value!r}") from None


def parse_hex(value: object, field: str) -> bytes:
    """Hex text (``"dead"`` or ``"de:ad"``) → bytes, or a ValueError naming ``field``."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a hex string, got {value!r}")
    try:
        return bytes.fromhex(value.replace(":", ""))
    except ValueError:
        raise ValueError(f"{field} is not valid hex: {value!r}") from None


def mac_text(mac: bytes) -> str:
    """6 bytes → ``"02:00:00:00:00:01"``."""
    return ":".join(f"{b:02x}" for b in mac)


def parse_mac(value: object, field: str) -> bytes:
    """``"02:00:00:00:00:01"`` (1–2 hex digits per byte) or 6 raw bytes → 6 bytes."""
    if isinstance(value, bytes) and len(value) == 6:
        return value
    parts = value.split(":") if isinstance(value, str) else []
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        raise ValueError(f"{field} must be six ':'-separated hex bytes, got {value!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"{field} must be six ':'-separated hex bytes, got {value!r}") from None
