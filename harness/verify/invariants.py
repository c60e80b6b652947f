"""Long-run ESP invariants, checked in one streaming pass over everything an SA emitted.

- RFC 4303 §2.2 / §3.3.3 (E2, E3): the first packet on an SA carries sequence number 1 (or the
  configured ESN start) and each next one exactly the previous plus one: no gaps, no repeats.
- RFC 4106 §3.1, RFC 3686 §3, RFC 7634 §2 (G4) and RFC 3602 §3 (G6): no IV/nonce is used twice
  within an SA.

Memory is constant per SA apart from the set of IVs seen, so a run of any length can be fed
through ``observe``. The sequence check is on the order the packets left the DUT (capture
order on the port): a capture that reorders would show here as a gap plus a step back.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from harness.verify.findings import Finding, PacketRef, make_finding


T = TypeVar("T")


def _ref(ref: PacketRef | Callable[[], PacketRef]) -> PacketRef:
    return ref if isinstance(ref, PacketRef) else ref()


@dataclass
class _SaTrack:
    first_expected: int
    first: int | None = None
    last: int | None = None
    packets: int = 0
    gaps: int = 0
    repeats: int = 0
    iv_reuses: int = 0
    ivs: set[bytes] = field(default_factory=set)


@dataclass(frozen=True)
class SaInvariantStats:
    spi: int
    packets: int
    first_seq: int | None
    last_seq: int | None
    gaps: int  # sequence jumps forward by more than one
    repeats: int  # sequence equal to or below the previous one
    iv_reuses: int


class EspInvariants:
    """Streaming checker of per-SA sequence continuity and IV uniqueness on egress ESP.

    ``first_seq`` maps SPI to the sequence number its first packet must carry (1 unless the SA
    was configured with an ESN start); ``check_iv`` maps SPI to False for SAs whose cipher has
    no IV (NULL); ``iv_requirement`` names the rule a repeat breaks (G4 for counter modes and
    AEAD, G6 for CBC).
    """

    def __init__(self, profile: str, first_seq: dict[int, int] | None = None,
                 check_iv: dict[int, bool] | None = None, iv_requirement: dict[int, str] | None = None) -> None:
        self._profile = profile
        self._first = first_seq or {}
        self._check_iv = check_iv or {}
        self._iv_req = iv_requirement or {}
        self._sas: dict[int, _SaTrack] = {}
        self.findings: list[Finding] = []

    def observe(self, spi: int, seq: int, iv: bytes, ref: PacketRef | Callable[[], PacketRef]) -> None:
        """Record one egress ESP packet (``seq`` as on the wire or reconstructed with ESN).

        ``ref`` may be a zero-argument callable: it is then called only if a finding is made.
        """
        track = self._sas.get(spi)
        if track is None:
            track = self._sas[spi] = _SaTrack(self._first.get(spi, 1), first=seq)
            if seq != track.first_expected:
                self.findings.append(make_finding(
                    "E2", self._profile, _ref(ref), "esp.seq", track.first_expected, seq,
                    detail=f"first packet seen on SPI {spi:#x}"))
        elif seq != track.last + 1:
            if seq <= track.last:
                track.repeats += 1
            else:
                track.gaps += 1
            self.findings.append(make_finding(
                "E3", self._profile, _ref(ref), "esp.seq", track.last + 1, seq,
                detail=f"SPI {spi:#x}: previous packet carried {track.last}"))
        track.last = seq
        track.packets += 1
        if iv and self._check_iv.get(spi, True):
            if iv in track.ivs:
                track.iv_reuses += 1
                self.findings.append(make_finding(
                    self._iv_req.get(spi, "G4"), self._profile, _ref(ref), "esp.iv", "an IV not used before on this SA", iv.hex(),
                    detail=f"SPI {spi:#x}: IV repeated"))
            else:
                track.ivs.add(iv)

    def observe_stream(self, items: Iterable[tuple[int, int, bytes, T]], ref: Callable[[T], PacketRef]) -> None:
        """``observe`` for many packets: (spi, seq, iv, item) each, ``ref(item)`` naming the
        packet only when a finding is made. The in-order, fresh-IV packet is handled inline."""
        sas, check_iv, observe = self._sas, self._check_iv, self.observe
        for spi, seq, iv, item in items:
            track = sas.get(spi)
            if track is not None and seq == track.last + 1 and (not iv or iv not in track.ivs):
                track.last = seq
                track.packets += 1
                if iv and check_iv.get(spi, True):
                    track.ivs.add(iv)
                continue
            observe(spi, seq, iv, partial(ref, item))

    def stats(self) -> dict[int, SaInvariantStats]:
        return {spi: SaInvariantStats(spi, t.packets, t.first, t.last,
                                      t.gaps, t.repeats, t.iv_reuses)
                for spi, t in self._sas.items()}
