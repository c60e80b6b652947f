"""One traffic trial and the interface every traffic source implements (CSIT MLRsearch style).

A search or sweep talks to traffic only through ``Measurer.measure(duration_s, load_pps)``;
an offline model, the reference gateway and a lab device are interchangeable behind it.
Counts are integers; rates are derived from counts and the measured duration.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from harness.measure.latency import LatencyHistogram, LatencySummary


@dataclass(frozen=True)
class TrialResult:
    """What one trial saw. Counts are packets; times are seconds unless the name says ns.

    ``offered`` packets were sent; ``forwarded`` distinct sent packets came out of the DUT,
    so ``lost = offered - forwarded``. ``duplicated`` counts extra copies of a packet already
    received, ``reordered`` packets that arrived after a later-sent packet of the same stream,
    ``unexpected`` received packets that match nothing sent (none of these three count in
    ``forwarded``).
    """

    duration_s: float  # measured transmit duration of the trial, seconds
    offered_load_pps: float  # load the trial was asked to offer, packets/s
    offered: int
    forwarded: int
    lost: int
    duplicated: int = 0
    reordered: int = 0
    unexpected: int = 0
    latency: LatencySummary | None = None  # one-way delays in ns, from signature/kernel stamps
    latency_histogram: LatencyHistogram | None = None  # same delays, log-binned (for CDF plots)
    dut_cpu_time_ns: int | None = None  # DUT CPU time spent in the trial, ns, if it reports it

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise ValueError(f"TrialResult.duration_s must be > 0 s, got {self.duration_s}")
        for name in ("offered", "forwarded", "lost", "duplicated", "reordered", "unexpected"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"TrialResult.{name} must be a non-negative int, got {value!r}")
        if self.forwarded + self.lost != self.offered:
            raise ValueError(
                f"TrialResult: forwarded ({self.forwarded}) + lost ({self.lost}) must equal "
                f"offered ({self.offered})"
            )

    @classmethod
    def from_counts(
        cls, duration_s: float, offered_load_pps: float, offered: int, forwarded: int, **extra: object
    ) -> TrialResult:
        """Build a result with ``lost`` derived from offered and forwarded."""
        return cls(
            duration_s=duration_s,
            offered_load_pps=offered_load_pps,
            offered=offered,
            forwarded=forwarded,
            lost=offered - forwarded,
            **extra,  # type: ignore[arg-type]
        )

    @property
    def loss_ratio(self) -> float:
        """Lost / offered (0.0 when nothing was offered)."""
        return self.lost / self.offered if self.offered else 0.0

    @property
    def offered_rate_pps(self) -> float:
        return self.offered / self.duration_s

    @property
    def forwarded_rate_pps(self) -> float:
        return self.forwarded / self.duration_s

    @property
    def cpu_ns_per_packet(self) -> float | None:
        """DUT CPU time per forwarded packet, ns, when the DUT reports CPU time."""
        if self.dut_cpu_time_ns is None or self.forwarded == 0:
            return None
        return self.dut_cpu_time_ns / self.forwarded


class Measurer(Protocol):
    """Anything that can offer a load for a duration and report what came out."""

    def measure(self, duration_s: float, offered_load_pps: float) -> TrialResult: ...
