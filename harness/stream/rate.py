"""A stream's rate in exactly one unit (TRex style): pps, L1 bit/s, L2 bit/s or % of a line rate.

Conversions follow RFC 2544 arithmetic (constants from ``harness.measure.rates``): per frame, L1 bits =
(frame + 8 preamble/SFD + 12 inter-frame gap) * 8 and L2 bits = frame * 8, where frame is the
Ethernet frame size incl. FCS. Percent is of the link's L1 line rate. For a stream with several
sizes the mean frame size of one size cycle is used.
Example: 64-byte frames at 10 Gbit/s L1 = 10e9 / 672 = 14,880,952 frames/s.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.measure.rates import INTER_FRAME_GAP_BYTES, PREAMBLE_BYTES
from harness.scenario.jsonutil import parse_enum

__all__ = ["INTER_FRAME_GAP_BYTES", "PREAMBLE_BYTES", "Rate", "RateUnit"]


class RateUnit(enum.Enum):
    PPS = "pps"
    L1_BPS = "l1_bps"
    L2_BPS = "l2_bps"
    PERCENT = "percent"  # of the line rate (L1 bit/s) given in ``line_rate_bps``


@dataclass(frozen=True)
class Rate:
    """``value`` in ``unit``; ``line_rate_bps`` (L1) is required for PERCENT and only then."""

    value: float
    unit: RateUnit
    line_rate_bps: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unit, RateUnit):
            raise ValueError(f"Rate.unit must be one of {[u.value for u in RateUnit]}, got {self.unit!r}")
        if not isinstance(self.value, (int, float)) or self.value <= 0:
            raise ValueError(f"Rate.value must be a number > 0, got {self.value!r}")
        if self.unit is RateUnit.PERCENT:
            if self.value > 100:
                raise ValueError(f"Rate.value must be <= 100 for unit percent, got {self.value}")
            if self.line_rate_bps is None or self.line_rate_bps <= 0:
                raise ValueError("Rate.line_rate_bps must be > 0 for unit percent")
        elif self.line_rate_bps is not None:
            raise ValueError(f"Rate.line_rate_bps is only meaningful for unit percent, not {self.unit.value}")

    @classmethod
    def pps(cls, value: float) -> Rate:
        return cls(value, RateUnit.PPS)

    @classmethod
    def l1_bps(cls, value: float) -> Rate:
        return cls(value, RateUnit.L1_BPS)

    @classmethod
    def l2_bps(cls, value: float) -> Rate:
        return cls(value, RateUnit.L2_BPS)

    @classmethod
    def percent(cls, value: float, line_rate_bps: float) -> Rate:
        return cls(value, RateUnit.PERCENT, line_rate_bps)

    def to_pps(self, mean_frame_bytes: float) -> float:
        """Frames per second for frames of ``mean_frame_bytes`` (Ethernet, FCS included)."""
        if self.unit is RateUnit.PPS:
            return float(self.value)
        if self.unit is RateUnit.L1_BPS:
            return self.value / _l1_bits(mean_frame_bytes)
        if self.unit is RateUnit.L2_BPS:
            return self.value / (mean_frame_bytes * 8)
        assert self.line_rate_bps is not None
        return self.line_rate_bps * self.value / 100 / _l1_bits(mean_frame_bytes)

    def to_l1_bps(self, mean_frame_bytes: float) -> float:
        return self.to_pps(mean_frame_bytes) * _l1_bits(mean_frame_bytes)

    def to_l2_bps(self, mean_frame_bytes: float) -> float:
        return self.to_pps(mean_frame_bytes) * mean_frame_bytes * 8

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"value": self.value, "unit": self.unit.value}
        if self.line_rate_bps is not None:
            out["line_rate_bps"] = self.line_rate_bps
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Rate:
        return cls(data.get("value"), parse_enum(RateUnit, data.get("unit"), "Rate.unit"),  # type: ignore[arg-type]
                   data.get("line_rate_bps"))  # type: ignore[arg-type]


def _l1_bits(mean_frame_bytes: float) -> float:
    return (mean_frame_bytes + PREAMBLE_BYTES + INTER_FRAME_GAP_BYTES) * 8
