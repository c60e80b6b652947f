"""The performance plan's sweeps as small functions over a ``Measurer``.

One ``SweepPoint`` is a clear frame size (RFC 2544 sizes or IMIX), an algorithm with its ESP
layout, a tunnel count, a direction (encrypt: clear in, ESP out; decrypt: ESP in, clear out)
and the SA type (where crypto runs). Both the clear and the encrypted frame sizes are carried,
because each side of the DUT sees one of them. For each point: an NDR/PDR search, then
latency trials at fractions of the PDR found (CSIT measures at 10/50/90 %).
"""
from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from harness.measure.esp_size import EspLayout, encrypted_frame
from harness.measure.rates import IMIX_SIMPLE, RFC2544_FRAME_SIZES, FrameSize, frame_label, line_rate_pps, mean_frame_bytes
from harness.measure.search import SearchParams, SearchResult, search_ndr_pdr
from harness.measure.trial import Measurer, TrialResult

SWEEP_FRAME_SIZES: tuple[FrameSize, ...] = (*RFC2544_FRAME_SIZES, IMIX_SIMPLE)
TUNNEL_COUNTS: tuple[int, ...] = (1, 10, 100, 1000, 10000)
LATENCY_FRACTIONS: tuple[float, ...] = (0.1, 0.5, 0.9)


class CryptoDirection(enum.Enum):
    ENCRYPT = "encrypt"  # DUT receives clear frames, sends ESP
    DECRYPT = "decrypt"  # DUT receives ESP, sends clear frames


ParamValue = str | int | float | bool


@dataclass(frozen=True)
class SweepPoint:
    frame: FrameSize  # clear frame size (FCS included)
    algorithm: str  # secgw keyword(s), e.g. "aes-128-gcm"
    layout: EspLayout
    tunnels: int
    direction: CryptoDirection
    sa_type: str = "no-offload"  # secgw SA type: where crypto runs

    def __post_init__(self) -> None:
        if self.tunnels < 1:
            raise ValueError(f"SweepPoint.tunnels must be >= 1, got {self.tunnels}")

    @property
    def encrypted(self) -> FrameSize:
        return encrypted_frame(self.frame, self.layout)

    @property
    def rx_frame(self) -> FrameSize:
        """What the DUT receives."""
        return self.frame if self.direction is CryptoDirection.ENCRYPT else self.encrypted

    @property
    def tx_frame(self) -> FrameSize:
        """What the DUT sends."""
        return self.encrypted if self.direction is CryptoDirection.ENCRYPT else self.frame

    @property
    def test_id(self) -> str:
        """CSIT-like readable id, e.g. ``64b-aes-128-gcm-10tnl-no-offload-encrypt``."""
        return (
            f"{frame_label(self.frame)}-{self.algorithm}-{self.tunnels}tnl-"
            f"{self.sa_type}-{self.direction.value}"
        )

    def params(self) -> dict[str, ParamValue]:
        """The point's parameters as fields (never parsed back from ``test_id``)."""
        return {
            "frame_size": frame_label(self.frame),
            "clear_frame_bytes": mean_frame_bytes(self.frame),
            "encrypted_frame_bytes": mean_frame_bytes(self.encrypted),
            "algorithm": self.algorithm,
            "esp_mode": self.layout.mode.value,
            "tunnels": self.tunnels,
            "crypto_direction": self.direction.value,
            "sa_type": self.sa_type,
        }

    def max_load_pps(self, link_l1_bps: float) -> float:
        """Line rate of the busier side (the larger frames) of a link of ``link_l1_bps``."""
        return min(line_rate_pps(link_l1_bps, self.rx_frame), line_rate_pps(link_l1_bps, self.tx_frame))


def sweep_points(
    frames: Iterable[FrameSize],
    algorithms: Mapping[str, EspLayout],
    tunnels: Iterable[int] = (1,),
    directions: Iterable[CryptoDirection] = tuple(CryptoDirection),
    sa_types: Iterable[str] = ("no-offload",),
) -> tuple[SweepPoint, ...]:
    """The cross product, in a stable order (frame size varies slowest)."""
    return tuple(
        SweepPoint(frame, name, algorithms[name], n, direction, sa_type)
        for frame, name, n, direction, sa_type in itertools.product(
            tuple(frames), tuple(algorithms), tuple(tunnels), tuple(directions), tuple(sa_types)
        )
    )


@dataclass(frozen=True)
class LatencyTrial:
    fraction: float  # of the reference rate (the PDR lower bound)
    load_pps: float
    trial: TrialResult


@dataclass(frozen=True)
class PointResult:
    point: SweepPoint
    search: SearchResult
    latency: tuple[LatencyTrial, ...]


def latency_at_fractions(
    measurer: Measurer, rate_pps: float, fractions: Sequence[float], duration_s: float
) -> tuple[LatencyTrial, ...]:
    """One trial at each fraction of ``rate_pps`` (e.g. 10/50/90 % of the PDR)."""
    for f in fractions:
        if not 0 < f <= 1:
            raise ValueError(f"latency fraction must be in (0, 1], got {f}")
    return tuple(
        LatencyTrial(f, f * rate_pps, measurer.measure(duration_s, f * rate_pps)) for f in fractions
    )


def run_point(
    point: SweepPoint,
    measurer: Measurer,
    params: SearchParams,
    fractions: Sequence[float] = LATENCY_FRACTIONS,
) -> PointResult:
    """Search NDR/PDR, then measure latency at ``fractions`` of the PDR lower bound.

    No latency trials when the PDR has no lower bound (even the minimum load failed).
    """
    search = search_ndr_pdr(measurer, params)
    pdr = search.pdr.lower_pps
    latency = () if pdr is None else latency_at_fractions(measurer, pdr, fractions, params.trial_duration_s)
    return PointResult(point, search, latency)


def run_sweep(
    points: Iterable[SweepPoint],
    measurer_for: Callable[[SweepPoint], Measurer],
    params_for: Callable[[SweepPoint], SearchParams],
    fractions: Sequence[float] = LATENCY_FRACTIONS,
) -> Iterator[PointResult]:
    """Run every point; the callables configure the DUT/traffic and the search for each."""
    for point in points:
        yield run_point(point, measurer_for(point), params_for(point), fractions)
