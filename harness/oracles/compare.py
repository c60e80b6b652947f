"""Comparing opinions on one ESP frame: the harness's (its codec, as the verifier uses it) and
an oracle's (scapy or tshark).

An opinion says whether the ICV verified (RFC 4303 §3.4.4) and, where the implementation
gives them, the SPI and low 32 sequence bits it read (§2.1, §2.2), the next header of the
decrypted trailer (§2.6) and the decrypted inner packet. Two opinions are compared on every
aspect both give; any difference is a disagreement. An oracle that cannot judge the ICV
(an algorithm it lacks, ESN it cannot feed) makes the frame *not checkable*, never a pass,
even when the header fields it could read agree.

Pure: opinions in, a ``Comparison`` out.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.oracles.verdict import OracleStatus

_ICV_WORDS = {OracleStatus.PASS: "ICV good", OracleStatus.FAIL: "ICV bad", OracleStatus.NOT_CHECKABLE: "ICV not checkable"}


@dataclass(frozen=True)
class FrameOpinion:
    """One implementation's reading of one ESP frame. ``icv``: PASS authenticated, FAIL
    rejected, NOT_CHECKABLE cannot judge (``detail`` says why). Fields are None where this
    implementation gave none (``seq`` is the low 32 bits, as on the wire)."""

    source: str  # "harness", "scapy" or "tshark"
    icv: OracleStatus
    detail: str = ""
    spi: int | None = None
    seq: int | None = None
    next_header: int | None = None
    inner: bytes | None = None

    def describe(self) -> str:
        """``tshark: ICV good, SPI 1001, seq 5, next header 4 (detail)``."""
        parts = [_ICV_WORDS[self.icv]]
        if self.spi is not None:
            parts.append(f"SPI {self.spi}")
        if self.seq is not None:
            parts.append(f"seq {self.seq}")
        if self.next_header is not None:
            parts.append(f"next header {self.next_header}")
        if self.inner is not None:
            parts.append(f"inner {len(self.inner)} bytes")
        text = f"{self.source}: " + ", ".join(parts)
        return f"{text} ({self.detail})" if self.detail else text


class Agreement(enum.Enum):
    AGREE = "agree"                  # the ICV verdict and every other common aspect agree
    DISAGREE = "disagree"            # at least one aspect differs (``differences``)
    NOT_CHECKABLE = "not-checkable"  # no difference, but the oracle could not judge the ICV


@dataclass(frozen=True)
class Comparison:
    """The harness's and one oracle's opinions of the frame ``frame_index`` of ``port``."""

    port: int
    frame_index: int
    harness: FrameOpinion
    oracle: FrameOpinion
    agreement: Agreement
    checked: tuple[str, ...]  # aspects compared: icv, spi, seq, next_header, inner
    differences: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return self.agreement is Agreement.DISAGREE

    def describe(self) -> str:
        head = f"port {self.port} frame #{self.frame_index}: {self.oracle.source} {self.agreement.value}"
        if self.differences:
            head += ": " + "; ".join(self.differences)
        elif self.agreement is Agreement.NOT_CHECKABLE:
            head += f" ({self.oracle.detail or self.harness.detail})"
        return head


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def compare_opinions(port: int, frame_index: int, ours: FrameOpinion, theirs: FrameOpinion) -> Comparison:
    """Compare every aspect both opinions give (see the module docstring)."""
    checked: list[str] = []
    diffs: list[str] = []
    icv_known = OracleStatus.NOT_CHECKABLE not in (ours.icv, theirs.icv)
    if icv_known:
        checked.append("icv")
        if ours.icv is not theirs.icv:
            why = f" ({theirs.detail})" if theirs.detail else ""
            diffs.append(f"ICV: {ours.source} {_ICV_WORDS[ours.icv][4:]}, {theirs.source} "
                         f"{_ICV_WORDS[theirs.icv][4:]}{why}")
    for name in ("spi", "seq", "next_header"):
        mine, other = getattr(ours, name), getattr(theirs, name)
        if mine is None or other is None:
            continue
        checked.append(name)
        if mine != other:
            diffs.append(f"{name.replace('_', ' ')}: {ours.source} {mine}, {theirs.source} {other}")
    if ours.inner is not None and theirs.inner is not None:
        checked.append("inner")
        if ours.inner != theirs.inner:
            at = _first_difference(ours.inner, theirs.inner)
            diffs.append(f"inner bytes differ from offset {at} ({ours.source} {len(ours.inner)} bytes, "
                         f"{theirs.source} {len(theirs.inner)} bytes)")
    if diffs:
        agreement = Agreement.DISAGREE
    else:
        agreement = Agreement.AGREE if icv_known else Agreement.NOT_CHECKABLE
    return Comparison(port, frame_index, ours, theirs, agreement, tuple(checked), tuple(diffs))
