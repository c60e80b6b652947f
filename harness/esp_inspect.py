"""``ipsec-harness inspect``: Wireshark-style ESP decryption of a capture, with conformance
findings instead of a dissection tree.

Every ESP frame (RFC 4303 §2, over IPv4/IPv6 or RFC 3948 UDP) is matched to an SA of the
scenario by SPI, and for tunnel SAs by outer source and destination (RFC 4301 §4.4.2; a
transport SA matches on the SPI alone). Several candidates (the same SPI both ways) are tried
in turn and the first whose ICV verifies wins. The harness codec decrypts it (ESN high bits
inferred per SA as in RFC 4303 Appendix A2) and checks the ICV (§3.4.4), padding (§2.4),
next header (§2.6) and inner length; each problem becomes a finding with its requirement id.
Per SA and direction, sequence continuity (§3.3.3: first 1, then +1) and IV uniqueness
(RFC 4106 §3.1, RFC 3602 §3, ...) are checked over the capture in file order.

Pure over frames: the caller reads files. Findings carry the profile name ``inspect``.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.codec.esp_decode import EspDecoded, EspDecoder, EspProblem
from harness.codec.frame_view import FrameView, parse_frame, parse_l3
from harness.scenario.model import Direction, SecurityAssociation
from harness.scenario.scenario import Scenario
from harness.stream.signature import find_signature
from harness.verify.checks_esp import icv_requirement
from harness.verify.findings import Finding, PacketRef, Severity, make_finding
from harness.verify.invariants import EspInvariants, SaInvariantStats
from harness.verify.replay import infer_esn

PROFILE = "inspect"
_HALF = 1 << 31
_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 253: "exp253", 254: "exp254"}
# Codec problems after a good ICV -> requirement broken (RFC 4303 section in requirements.py).
_PROBLEM_REQ = {EspProblem.ALIGNMENT: "E11", EspProblem.PAD_LENGTH: "E12", EspProblem.PAD_BYTES: "E10",
                EspProblem.NEXT_HEADER: "ESP-NH", EspProblem.INNER_LENGTH: "X-INTACT",
                EspProblem.TRUNCATED: "E19", EspProblem.IP_LENGTH: "R-IP-VALID"}


def sa_label(sa: SecurityAssociation) -> str:
    """``out/1001`` style name of an SA (direction and SPI, as in the cfg)."""
    return f"{sa.direction.value}/{sa.spi}"


@dataclass(frozen=True)
class InnerSummary:
    """Addresses, protocol, ports and signature of a decrypted inner packet."""

    src: str
    dst: str
    proto: int
    sport: int  # -1 when the protocol has no ports
    dport: int
    length: int
    stream: int | None  # from the harness signature, when present
    seq: int | None

    def __str__(self) -> str:
        proto = _PROTO_NAMES.get(self.proto, str(self.proto))
        ports = f" {self.sport} > {self.dport}" if self.sport >= 0 else ""
        sig = f" sig {self.stream}/{self.seq}" if self.stream is not None else ""
        return f"{self.src} > {self.dst} {proto}{ports} len {self.length}{sig}"


@dataclass(frozen=True)
class EspPacketReport:
    """One ESP frame: header fields, the SA it belongs to and what decryption showed."""

    frame_index: int  # 0-based position in the capture (Wireshark's frame number - 1)
    spi: int
    seq: int  # full sequence number (ESN high bits inferred)
    sa: str | None  # sa_label, None when no SA of the cfg matches
    icv_ok: bool | None  # None: not decrypted (no SA)
    pad_len: int
    next_header: int
    inner: InnerSummary | None
    problems: tuple[str, ...]
    findings: tuple[Finding, ...]

    def render(self) -> str:
        head = f"frame #{self.frame_index}: SPI {self.spi:#010x} seq {self.seq}"
        if self.sa is None:
            return f"{head} SA none"
        icv = "ok" if self.icv_ok else "BAD"
        trailer = f" pad {self.pad_len} nh {self.next_header}" if self.icv_ok else ""
        inner = f" | {self.inner}" if self.inner is not None else ""
        probs = f" problems {','.join(self.problems)}" if self.problems else ""
        return f"{head} SA {self.sa} ICV {icv}{trailer}{probs}{inner}"

    def to_json(self) -> dict[str, Any]:
        return {"frame_index": self.frame_index, "spi": self.spi, "seq": self.seq, "sa": self.sa,
                "icv_ok": self.icv_ok, "pad_len": self.pad_len, "next_header": self.next_header,
                "inner": None if self.inner is None else dict(self.inner.__dict__),
                "problems": list(self.problems), "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True)
class InspectReport:
    packets: tuple[EspPacketReport, ...]
    frames: int  # frames in the capture
    clear_frames: int  # IP frames without ESP
    non_ip_frames: int
    sa_stats: dict[str, SaInvariantStats]  # sa_label -> sequence / IV statistics
    findings: tuple[Finding, ...]  # per-packet findings, then the per-SA invariant findings

    @property
    def passed(self) -> bool:
        return not any(f.severity is Severity.FAIL for f in self.findings)

    def render(self, *, max_packets: int = 1000) -> str:
        lines = [f"frames: {self.frames} (ESP {len(self.packets)}, clear IP {self.clear_frames}, "
                 f"non-IP {self.non_ip_frames})"]
        for pkt in self.packets[:max_packets]:
            lines.append(pkt.render())
            lines.extend("  " + f.headline() for f in pkt.findings)
        if len(self.packets) > max_packets:
            lines.append(f"... {len(self.packets) - max_packets} more ESP packets (see --json)")
        for label, st in sorted(self.sa_stats.items()):
            lines.append(f"SA {label}: {st.packets} packets, seq {st.first_seq}..{st.last_seq}, gaps {st.gaps}, "
                         f"repeats {st.repeats}, IV reuses {st.iv_reuses}")
        per_packet = {id(f) for p in self.packets for f in p.findings}
        lines.extend(f.headline() for f in self.findings if id(f) not in per_packet)
        fails = sum(1 for f in self.findings if f.severity is Severity.FAIL)
        lines.append(f"findings: {fails} FAIL, {len(self.findings) - fails} WARN/INFO")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"frames": self.frames, "esp_frames": len(self.packets), "clear_frames": self.clear_frames,
                "non_ip_frames": self.non_ip_frames, "passed": self.passed,
                "sa": {k: dict(v.__dict__) for k, v in sorted(self.sa_stats.items())},
                "packets": [p.to_json() for p in self.packets],
                "findings": [f.to_json() for f in self.findings]}


def _address(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw)) if len(raw) in (4, 16) else "?"


def inner_summary(inner: bytes) -> InnerSummary | None:
    """Summary of an inner IP packet (None when it is not IP)."""
    view = parse_l3(inner)
    if view.ip_version not in (4, 6) or view.problem == "short-ip":
        return None
    sig = find_signature(inner)
    return InnerSummary(_address(view.src), _address(view.dst), view.l4_proto, view.sport, view.dport,
                        view.l3_length, None if sig is None else sig.stream_id, None if sig is None else sig.seq)


class EspInspector:
    """Streaming inspector: feed frames in capture order with ``add``, then ``report``."""

    def __init__(self, scenario: Scenario) -> None:
        self._sas = scenario.sas
        self._decoders = {id(sa): EspDecoder(sa.spec) for sa in self._sas}
        self._top = {id(sa): max(sa.esn_start, 1) - 1 for sa in self._sas}
        self._inv = {d: EspInvariants(PROFILE, first_seq={sa.spi: max(sa.esn_start, 1) for sa in self._sas
                                                          if sa.direction is d},
                                      iv_requirement={sa.spi: "G6" if (sa.spec.cipher or "").endswith("cbc") else "G4"
                                                      for sa in self._sas if sa.direction is d})
                     for d in Direction}
        self._packets: list[EspPacketReport] = []
        self.frames = self.clear = self.non_ip = 0

    def _candidates(self, view: FrameView) -> list[SecurityAssociation]:
        by_spi = [sa for sa in self._sas if sa.spi == view.spi]
        return [sa for sa in by_spi if not sa.is_tunnel
                or (sa.spec.tunnel_src.packed == view.src and sa.spec.tunnel_dst.packed == view.dst)]

    def _decode(self, sa: SecurityAssociation, l3: bytes, seq_low: int) -> tuple[int, EspDecoded]:
        full = infer_esn(self._top[id(sa)], _HALF, seq_low) if sa.spec.esn else seq_low
        return full, self._decoders[id(sa)].decode(l3, seq_high=full >> 32)

    def add(self, frame: bytes) -> None:
        index = self.frames
        self.frames += 1
        view = parse_frame(frame)
        if view.ip_version not in (4, 6):
            self.non_ip += 1
            return
        if view.esp_offset < 0:
            self.clear += 1
            return
        l3 = frame[view.l3_offset:]
        cands = self._candidates(view)
        if not cands:
            self._packets.append(self._orphan(index, view))
            return
        tried = [(sa, *self._decode(sa, l3, view.esp_seq)) for sa in cands]
        sa, full, dec = next((t for t in tried if t[2].icv_ok), tried[0])
        if dec.icv_ok:
            self._top[id(sa)] = max(self._top[id(sa)], full)
        self._packets.append(self._report(index, sa, full, dec, frame))

    def _orphan(self, index: int, view: FrameView) -> EspPacketReport:
        same_spi = [sa_label(sa) for sa in self._sas if sa.spi == view.spi]
        detail = (f"SA {', '.join(same_spi)} has this SPI but other tunnel addresses" if same_spi
                  else "no sa line in the cfg has this SPI")
        finding = make_finding("E17", PROFILE, PacketRef(None, index), "esp.spi", "an SA of the cfg",
                               f"{view.spi} {_address(view.src)} > {_address(view.dst)}",
                               detail=detail, severity=Severity.WARN)
        return EspPacketReport(index, view.spi, view.esp_seq, None, None, -1, -1, None, (), (finding,))

    def _report(self, index: int, sa: SecurityAssociation, full: int, dec: EspDecoded,
                frame: bytes) -> EspPacketReport:
        inner = inner_summary(dec.inner) if dec.icv_ok and dec.inner else None
        ref = PacketRef(None, index, None if inner is None else inner.stream, None if inner is None else inner.seq)
        findings = []
        if sa.spi < 256:
            findings.append(make_finding("E1", PROFILE, ref, "esp.spi", ">= 256", sa.spi, frame=frame))
        if not dec.icv_ok:
            findings.append(make_finding(icv_requirement(sa.spec), PROFILE, ref, "esp.icv", "valid ICV",
                                         dec.icv.hex(), frame=frame,
                                         detail=f"SA {sa_label(sa)} {sa.spec.algorithm_label}"))
        else:
            for problem in dec.problems:
                rid = _PROBLEM_REQ.get(problem)
                if rid is not None:
                    findings.append(make_finding(rid, PROFILE, ref, f"esp.{problem.value}", "valid", problem.value,
                                                 frame=frame, detail=f"SA {sa_label(sa)}"))
        # Sequence and IV are clear-text header fields: tracked whatever the ICV said, so one
        # corrupted packet is one ICV finding, not also a sequence gap.
        self._inv[sa.direction].observe(sa.spi, full, dec.iv, ref)
        return EspPacketReport(index, sa.spi, full, sa_label(sa), dec.icv_ok, dec.pad_len, dec.next_header,
                               inner, tuple(p.value for p in dec.problems), tuple(findings))

    def report(self) -> InspectReport:
        stats = {f"{d.value}/{spi}": st for d, inv in self._inv.items() for spi, st in inv.stats().items()}
        findings = [f for p in self._packets for f in p.findings]
        for inv in self._inv.values():
            findings += inv.findings
        return InspectReport(tuple(self._packets), self.frames, self.clear, self.non_ip, stats, tuple(findings))


def inspect_frames(scenario: Scenario, frames: Sequence[bytes]) -> InspectReport:
    """Inspect every frame of a capture (in capture order) against ``scenario``'s SAs."""
    inspector = EspInspector(scenario)
    for frame in frames:
        inspector.add(frame)
    return inspector.report()
