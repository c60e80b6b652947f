"""Packet sizes of a stream: fixed, an explicit list, the RFC 2544 §9.1 frame sizes, or IMIX.

Unit convention (project-wide): a *frame size* is the whole Ethernet frame including the 4-byte
FCS, untagged: ``frame = 14 (header) + L3 length + 4 (FCS)``; the bytes we hand to a socket
are ``frame - 4`` long because the NIC appends the FCS. A ``SizeSpec`` says which size it
holds in ``basis``:

* ``SizeBasis.FRAME``: the Ethernet frame incl. FCS *of the clear packet* (for an ESP stream the
  frame the inner packet would fill unencrypted; the ESP frame on the wire is larger);
* ``SizeBasis.L3``: the clear IP packet length (IPv4 total length, IPv6 40 + payload length).

IMIX is the "simple IMIX" 7:4:1 of 64/570/1518-byte frames (FD.io CSIT, TRex); the
per-packet order is the 12-packet cycle of a smooth weighted round robin over (64:7, 570:4,
1518:1), i.e. 64 570 64 64 570 64 1518 64 570 64 570 64, repeated.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.measure.rates import FCS_BYTES, IMIX_SIMPLE, RFC2544_FRAME_SIZES
from harness.scenario.jsonutil import parse_enum

ETH_HEADER_BYTES = 14
FRAME_OVERHEAD_BYTES = ETH_HEADER_BYTES + FCS_BYTES  # frame size - L3 length (untagged)
MAX_FRAME_BYTES = 9018  # a 9000-byte jumbo L3 packet


class SizeKind(enum.Enum):
    FIXED = "fixed"
    LIST = "list"
    RFC2544 = "rfc2544"
    IMIX = "imix"


class SizeBasis(enum.Enum):
    FRAME = "frame"  # Ethernet frame incl. FCS of the clear packet
    L3 = "l3"  # clear IP packet length


def frame_to_l3(frame_bytes: int) -> int:
    """L3 length of an untagged Ethernet frame of ``frame_bytes`` (FCS included)."""
    return frame_bytes - FRAME_OVERHEAD_BYTES


def l3_to_frame(l3_bytes: int) -> int:
    """Ethernet frame size incl. FCS carrying an L3 packet of ``l3_bytes`` (untagged)."""
    return l3_bytes + FRAME_OVERHEAD_BYTES


def frame_to_wire_bytes(frame_bytes: int) -> int:
    """Bytes handed to a socket for a frame of ``frame_bytes`` (the NIC adds the FCS)."""
    return frame_bytes - FCS_BYTES


def _smooth_wrr(mix: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """One cycle of smooth weighted round robin: each size appears ``weight`` times, spread."""
    total = sum(w for _, w in mix)
    current = [0] * len(mix)
    out: list[int] = []
    for _ in range(total):
        for i, (_, w) in enumerate(mix):
            current[i] += w
        best = max(range(len(mix)), key=lambda i: current[i])
        current[best] -= total
        out.append(mix[best][0])
    return tuple(out)


IMIX_CYCLE: tuple[int, ...] = _smooth_wrr(IMIX_SIMPLE.mix)


@dataclass(frozen=True)
class SizeSpec:
    """Which sizes a stream's packets have, in which order (``cycle`` repeats)."""

    kind: SizeKind
    sizes: tuple[int, ...] = ()
    basis: SizeBasis = SizeBasis.FRAME

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SizeKind):
            raise ValueError(f"SizeSpec.kind must be one of {[k.value for k in SizeKind]}, got {self.kind!r}")
        if not isinstance(self.basis, SizeBasis):
            raise ValueError(f"SizeSpec.basis must be one of {[b.value for b in SizeBasis]}, got {self.basis!r}")
        if self.kind in (SizeKind.RFC2544, SizeKind.IMIX):
            if self.sizes:
                raise ValueError(f"SizeSpec.sizes must be empty for kind {self.kind.value} (sizes are implied)")
            if self.basis is not SizeBasis.FRAME:
                raise ValueError(f"SizeSpec.basis must be 'frame' for kind {self.kind.value}")
        elif self.kind is SizeKind.FIXED and len(self.sizes) != 1:
            raise ValueError(f"SizeSpec.sizes must hold exactly one size for kind fixed, got {self.sizes}")
        elif self.kind is SizeKind.LIST and not self.sizes:
            raise ValueError("SizeSpec.sizes must not be empty for kind list")
        low = 20 if self.basis is SizeBasis.L3 else l3_to_frame(20)
        high = frame_to_l3(MAX_FRAME_BYTES) if self.basis is SizeBasis.L3 else MAX_FRAME_BYTES
        for size in self.sizes:
            if not isinstance(size, int) or not low <= size <= high:
                raise ValueError(f"SizeSpec.sizes: {size!r} is not an integer in {low}..{high} ({self.basis.value} bytes)")

    @classmethod
    def fixed(cls, size: int, basis: SizeBasis = SizeBasis.FRAME) -> SizeSpec:
        return cls(SizeKind.FIXED, (size,), basis)

    @classmethod
    def of(cls, sizes: list[int] | tuple[int, ...], basis: SizeBasis = SizeBasis.FRAME) -> SizeSpec:
        return cls(SizeKind.LIST, tuple(sizes), basis)

    @classmethod
    def rfc2544(cls) -> SizeSpec:
        return cls(SizeKind.RFC2544)

    @classmethod
    def imix(cls) -> SizeSpec:
        return cls(SizeKind.IMIX)

    @property
    def cycle(self) -> tuple[int, ...]:
        """Per-packet sizes (in ``basis`` units), repeated for as many packets as needed."""
        if self.kind is SizeKind.RFC2544:
            return RFC2544_FRAME_SIZES
        if self.kind is SizeKind.IMIX:
            return IMIX_CYCLE
        return self.sizes

    def l3_cycle(self) -> tuple[int, ...]:
        """``cycle`` converted to clear L3 packet lengths."""
        if self.basis is SizeBasis.L3:
            return self.cycle
        return tuple(frame_to_l3(s) for s in self.cycle)

    def mean_frame_bytes(self) -> float:
        """Mean clear Ethernet frame size incl. FCS over one cycle (for rate conversions)."""
        frames = [l3_to_frame(s) for s in self.l3_cycle()]
        return sum(frames) / len(frames)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "sizes": list(self.sizes), "basis": self.basis.value}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SizeSpec:
        return cls(parse_enum(SizeKind, data.get("kind"), "SizeSpec.kind"), tuple(data.get("sizes", ())),  # type: ignore[arg-type]
                   parse_enum(SizeBasis, data.get("basis", "frame"), "SizeSpec.basis"))
