"""Ethernet rate arithmetic: frames per second against L1 and L2 bit rates (RFC 2544 §9, §20).

Frame sizes are whole Ethernet frames including the 4-byte FCS (RFC 2544's 64..1518).
On the wire every frame also costs an 8-byte preamble+SFD and a 12-byte minimum inter-frame
gap; both are explicit constants here. L1 bit/s counts frame + preamble + gap, L2 bit/s counts
the frame only (FCS included).

Worked example: 64-byte frames at 10 Gbit/s L1 take (64 + 8 + 12) * 8 = 672 bits each, so the
line rate is 10e9 / 672 = 14,880,952.38 frames/s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PREAMBLE_BYTES = 8  # 7-byte preamble + 1-byte start-of-frame delimiter (IEEE 802.3 §3.2.1)
INTER_FRAME_GAP_BYTES = 12  # minimum IFG, 96 bit times (IEEE 802.3 §4.4.2)
FCS_BYTES = 4
MIN_FRAME_BYTES = 64
PER_FRAME_L1_OVERHEAD_BYTES = PREAMBLE_BYTES + INTER_FRAME_GAP_BYTES

RFC2544_FRAME_SIZES: tuple[int, ...] = (64, 128, 256, 512, 1024, 1280, 1518)
"""RFC 2544 §9.1 Ethernet frame sizes (bytes, FCS included)."""


@dataclass(frozen=True)
class Imix:
    """A weighted mix of frame sizes; rates use the weighted mean frame size."""

    name: str
    mix: tuple[tuple[int, int], ...]  # (frame bytes incl. FCS, weight)

    def __post_init__(self) -> None:
        if not self.mix:
            raise ValueError(f"Imix {self.name!r}: mix must not be empty")
        for size, weight in self.mix:
            if size < MIN_FRAME_BYTES or weight <= 0:
                raise ValueError(
                    f"Imix {self.name!r}: bad entry ({size}, {weight}); sizes must be >= "
                    f"{MIN_FRAME_BYTES} bytes and weights > 0"
                )

    @property
    def mean_frame_bytes(self) -> float:
        total = sum(weight for _, weight in self.mix)
        return sum(size * weight for size, weight in self.mix) / total


IMIX_SIMPLE = Imix("imix", ((64, 7), (570, 4), (1518, 1)))
"""The "simple IMIX" 7:4:1 of 64/570/1518-byte frames as used by FD.io CSIT and TRex."""

FrameSize = int | Imix
"""A fixed frame size in bytes (FCS included) or a mix."""


def mean_frame_bytes(frame: FrameSize) -> float:
    """Mean frame size in bytes, FCS included."""
    if isinstance(frame, Imix):
        return frame.mean_frame_bytes
    if frame < MIN_FRAME_BYTES:
        raise ValueError(f"frame size {frame} B is below the Ethernet minimum {MIN_FRAME_BYTES} B")
    return float(frame)


def frame_label(frame: FrameSize) -> str:
    """Readable id fragment: ``64b`` or the mix name (``imix``)."""
    return frame.name if isinstance(frame, Imix) else f"{frame}b"


def l1_bits_per_frame(frame: FrameSize) -> float:
    return (mean_frame_bytes(frame) + PER_FRAME_L1_OVERHEAD_BYTES) * 8


def l2_bits_per_frame(frame: FrameSize) -> float:
    return mean_frame_bytes(frame) * 8


def pps_to_l1_bps(pps: float, frame: FrameSize) -> float:
    return pps * l1_bits_per_frame(frame)


def pps_to_l2_bps(pps: float, frame: FrameSize) -> float:
    return pps * l2_bits_per_frame(frame)


def l1_bps_to_pps(bps: float, frame: FrameSize) -> float:
    return bps / l1_bits_per_frame(frame)


def l2_bps_to_pps(bps: float, frame: FrameSize) -> float:
    return bps / l2_bits_per_frame(frame)


def line_rate_pps(link_l1_bps: float, frame: FrameSize) -> float:
    """Maximum frames per second of a link of ``link_l1_bps`` (e.g. 10e9) for this frame size."""
    if link_l1_bps <= 0:
        raise ValueError(f"link rate must be > 0 bit/s, got {link_l1_bps}")
    return l1_bps_to_pps(link_l1_bps, frame)


def line_rate_pps_int(link_l1_bps: float, frame: FrameSize) -> int:
    """Whole frames per second at line rate (rounded down, as RFC 2544 tables list them)."""
    return math.floor(line_rate_pps(link_l1_bps, frame))


def l1_to_l2_bps(l1_bps: float, frame: FrameSize) -> float:
    """Share of an L1 bit rate that is frame bits (what a capture or counter sees)."""
    return l1_bps * l2_bits_per_frame(frame) / l1_bits_per_frame(frame)
