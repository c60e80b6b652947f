"""Common result shape of the oracles."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class OracleStatus(enum.Enum):
    """An oracle's answer for one packet."""

    PASS = "pass"                    # decrypted and authenticated
    FAIL = "fail"                    # the oracle rejected the packet (reason in ``detail``)
    NOT_CHECKABLE = "not-checkable"  # the oracle cannot judge this SA/packet (reason in ``detail``)


@dataclass(frozen=True)
class OracleVerdict:
    """``inner`` is the decrypted inner packet (tunnel) or rebuilt packet (transport) when
    the oracle produced one; ``spi``/``seq`` the ESP header fields as the oracle read them
    (None when it did not parse them)."""

    status: OracleStatus
    detail: str = ""
    inner: bytes = b""
    spi: int | None = None
    seq: int | None = None
