"""Findings: one observed deviation, keyed to a requirement id and the profile that judged it.

Severity follows the requirement level: a violated MUST is FAIL, a SHOULD or a secgw-specific
behaviour is WARN, a MAY or a remark is INFO. The scapy dissection of the offending frame is
computed only when a finding is rendered for people.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from harness.verify.hexdiff import hexdiff
from harness.verify.requirements import Level, requirement


class Severity(enum.Enum):
    FAIL = "FAIL"
    WARN = "WARN"
    INFO = "INFO"


_BY_LEVEL = {Level.MUST: Severity.FAIL, Level.SHOULD: Severity.WARN, Level.SECGW: Severity.WARN,
             Level.MAY: Severity.INFO}


def severity_for(rid: str) -> Severity:
    """The default severity of a deviation from requirement ``rid``."""
    return _BY_LEVEL[requirement(rid).level]


@dataclass(frozen=True)
class PacketRef:
    """Where a packet was seen or sent: port, index of the frame in that port's capture, and
    the stream/sequence from its signature (None when unknown)."""

    port: int | None = None
    frame_index: int | None = None
    stream: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.port is not None:
            parts.append(f"port {self.port}")
        if self.frame_index is not None:
            parts.append(f"frame #{self.frame_index}")
        if self.stream is not None:
            parts.append(f"stream {self.stream} seq {self.seq}")
        return ", ".join(parts) or "no packet"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    requirement: str
    profile: str
    packet: PacketRef
    field: str
    expected: Any
    observed: Any
    detail: str = ""
    expected_bytes: bytes | None = field(default=None, repr=False)
    observed_bytes: bytes | None = field(default=None, repr=False)
    frame: bytes | None = field(default=None, repr=False)  # for the lazy dissection

    def __post_init__(self) -> None:
        requirement(self.requirement)  # unknown ids are programming errors

    def hexdiff(self) -> str:
        if self.expected_bytes is None or self.observed_bytes is None:
            return ""
        return hexdiff(self.expected_bytes, self.observed_bytes)

    def dissection(self) -> str:
        """scapy's view of the frame (imported lazily: only when a person reads it)."""
        if self.frame is None:
            return ""
        from scapy.layers.l2 import Ether  # noqa: PLC0415 - deliberate lazy import

        return Ether(self.frame).show(dump=True)

    def headline(self) -> str:
        req = requirement(self.requirement)
        text = (f"{self.severity.value} {self.requirement} ({req.source} §{req.section}) "
                f"[{self.profile}] {self.packet}: {self.field}: expected {self.expected!r}, "
                f"observed {self.observed!r}")
        return f"{text} - {self.detail}" if self.detail else text

    def render(self, *, dissect: bool = False) -> str:
        lines = [self.headline()]
        diff = self.hexdiff()
        if diff:
            lines.append(diff)
        if dissect and self.frame is not None:
            lines.append(self.dissection())
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value, "requirement": self.requirement, "profile": self.profile,
            "port": self.packet.port, "frame_index": self.packet.frame_index,
            "stream": self.packet.stream, "seq": self.packet.seq, "field": self.field,
            "expected": _jsonable(self.expected), "observed": _jsonable(self.observed),
            "detail": self.detail, "hexdiff": self.hexdiff(),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def make_finding(rid: str, profile: str, packet: PacketRef, field_name: str, expected: Any,
                 observed: Any, *, detail: str = "", severity: Severity | None = None,
                 expected_bytes: bytes | None = None, observed_bytes: bytes | None = None,
                 frame: bytes | None = None) -> Finding:
    """A finding whose severity defaults to the requirement level's."""
    return Finding(severity or severity_for(rid), rid, profile, packet, field_name, expected, observed,
                   detail, expected_bytes, observed_bytes, frame)
