"""Clear and ESP-encrypted frame sizes for one clear frame size (RFC 4303 §2, §2.4).

An ESP packet is SPI (4) + sequence number (4) + IV + payload + padding + pad length (1) +
next header (1) + ICV. Padding makes payload + 2 a multiple of the algorithm's alignment
(at least 4, §2.4). Tunnel mode protects the whole inner IP packet and adds an outer IP header;
transport mode protects what follows the IP header, which stays in front. The algorithm sizes
come from the caller (the harness's codec table), so this module stays a pure calculator.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.measure.rates import FCS_BYTES, FrameSize, Imix

ETHERNET_HEADER_BYTES = 14
ESP_HEADER_BYTES = 8  # SPI + sequence number
ESP_TRAILER_BYTES = 2  # pad length + next header


class EspMode(enum.Enum):
    """ESP mode with the IP version of the header that ends up in front of ESP."""

    TUNNEL4 = "tunnel4"
    TUNNEL6 = "tunnel6"
    TRANSPORT4 = "transport4"
    TRANSPORT6 = "transport6"

    @property
    def ip_header_bytes(self) -> int:
        return 20 if self in (EspMode.TUNNEL4, EspMode.TRANSPORT4) else 40

    @property
    def is_tunnel(self) -> bool:
        return self in (EspMode.TUNNEL4, EspMode.TUNNEL6)


@dataclass(frozen=True)
class EspLayout:
    """Per-packet ESP sizes of one algorithm pair in one mode (bytes)."""

    iv_bytes: int
    icv_bytes: int
    align_bytes: int
    mode: EspMode

    def __post_init__(self) -> None:
        if self.iv_bytes < 0 or self.icv_bytes < 0:
            raise ValueError(f"EspLayout: iv_bytes and icv_bytes must be >= 0, got {self}")
        if self.align_bytes < 4 or self.align_bytes % 4:
            raise ValueError(
                f"EspLayout: align_bytes must be a multiple of 4 (RFC 4303 §2.4), got {self.align_bytes}"
            )


def _encrypted_bytes(clear_frame_bytes: int, layout: EspLayout) -> int:
    ip_packet = clear_frame_bytes - ETHERNET_HEADER_BYTES - FCS_BYTES
    if layout.mode.is_tunnel:
        kept_header, added_header = 0, layout.mode.ip_header_bytes
        protected = ip_packet
    else:
        kept_header, added_header = layout.mode.ip_header_bytes, 0
        protected = ip_packet - kept_header
    if protected < 0:
        raise ValueError(
            f"clear frame of {clear_frame_bytes} B is too short for an IP header in {layout.mode.value} mode"
        )
    align = layout.align_bytes
    padded = -(-(protected + ESP_TRAILER_BYTES) // align) * align
    esp = ESP_HEADER_BYTES + layout.iv_bytes + padded + layout.icv_bytes
    return ETHERNET_HEADER_BYTES + FCS_BYTES + kept_header + added_header + esp


def encrypted_frame(clear: FrameSize, layout: EspLayout) -> FrameSize:
    """The frame size after ESP protection of ``clear`` (a mix maps size by size)."""
    if isinstance(clear, Imix):
        return Imix(clear.name, tuple((_encrypted_bytes(s, layout), w) for s, w in clear.mix))
    return _encrypted_bytes(clear, layout)
