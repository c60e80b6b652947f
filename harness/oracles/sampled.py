"""Oracles as third opinions on samples of an exchange's egress ESP.

Per outbound SA, ``per_sa`` frames spread evenly over what the DUT emitted (first and last
included) are read three ways: by the harness codec (what the verifier decrypts with, RFC 4303
§3.4: ICV, SPI, sequence, next header, inner packet), by scapy's ``SecurityAssociation``
(decrypts, gives the inner packet) and by tshark (one run over a temporary pcap of the samples
with an ``esp_sa`` table: icv_good/icv_bad, SPI, sequence, decrypted next header). Every
oracle opinion is compared with the harness's (``compare_opinions``); a disagreement becomes a
FAIL finding ``X-ORACLE`` naming both opinions, and what an oracle cannot check becomes one
INFO finding per oracle, SA and reason — never a pass.

tshark is run with ``-T fields`` (``tshark_oracle``) rather than through pyshark: for 8 frames
pyshark took about 0.55 s against 0.28 s here, it parses PDML per packet, and it runs an
asyncio loop of its own inside the test process; the dissector and the SA table are the same.

ESN high bits of a sample are inferred in emission order from the SA's start (RFC 4303
Appendix A2). UDP-encapsulated ESP (RFC 3948) is not sampled.
"""
from __future__ import annotations

import ipaddress
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.codec.esp_decode import EspDecoder
from harness.codec.frame_view import parse_frame
from harness.io.pcap import write_pcap
from harness.oracles.compare import Agreement, Comparison, FrameOpinion, compare_opinions
from harness.oracles.esp_sa_table import SaEntry
from harness.oracles.scapy_oracle import scapy_decrypt
from harness.oracles.tshark_oracle import TsharkError, tshark_check, tshark_path
from harness.oracles.verdict import OracleStatus
from harness.scenario.model import Direction, SecurityAssociation
from harness.verify.findings import Finding, PacketRef, Severity, make_finding
from harness.verify.replay import infer_esn

DEFAULT_SAMPLES_PER_SA = 8
ORACLES = ("scapy", "tshark")
REQUIREMENT = "X-ORACLE"
_HALF_SPACE = 1 << 31


@dataclass(frozen=True)
class EgressSample:
    """One sampled egress ESP frame: where it was seen, its bytes, its SA and full sequence."""

    port: int
    frame_index: int  # index in that port's capture, as in the verifier's findings
    frame: bytes
    l3_offset: int
    sa: SecurityAssociation
    seq: int  # 64-bit with ESN (high bits inferred), else the wire's 32 bits
    outer_src: str
    outer_dst: str

    @property
    def l3(self) -> bytes:
        return self.frame[self.l3_offset:]


def _spread(n: int, k: int) -> list[int]:
    """``k`` indices spread evenly over ``range(n)``, first and last included (all when n <= k)."""
    if n <= k:
        return list(range(n))
    if k == 1:
        return [0]
    return [i * (n - 1) // (k - 1) for i in range(k)]


def sample_egress(sas: Sequence[SecurityAssociation], received: Iterable[Any], per_sa: int) -> list[EgressSample]:
    """``per_sa`` ESP frames of each outbound SA among ``received`` (objects with ``port`` and
    ``frame``, in emission order), in port/index order."""
    if per_sa < 1:
        raise ValueError(f"oracle samples per SA must be >= 1, got {per_sa}")
    out_sas = {sa.spi: sa for sa in sas if sa.direction is Direction.OUT}
    seen: dict[int, list[EgressSample]] = defaultdict(list)
    tops: dict[int, int] = {}
    index: dict[int, int] = {}
    for rx in received:
        i = index.get(rx.port, 0)
        index[rx.port] = i + 1
        view = parse_frame(rx.frame)
        if view.problem is not None or view.esp_offset < 0 or view.udp_encap:
            continue
        sa = out_sas.get(view.spi)
        if sa is None:
            continue
        seq = view.esp_seq
        if sa.spec.esn:
            top = tops.get(sa.spi, max(sa.esn_start, 1) - 1)
            seq = infer_esn(top, _HALF_SPACE, view.esp_seq)
            tops[sa.spi] = max(top, seq)
        src, dst = (str(ipaddress.ip_address(a)) for a in (view.src, view.dst))
        seen[sa.spi].append(EgressSample(rx.port, i, rx.frame, view.l3_offset, sa, seq, src, dst))
    picked = [frames[k] for frames in seen.values() for k in _spread(len(frames), per_sa)]
    return sorted(picked, key=lambda s: (s.port, s.frame_index))


def harness_opinion(sample: EgressSample, decoder: EspDecoder, verifier_failed: Iterable[str] = ()) -> FrameOpinion:
    """The harness codec's reading; ``verifier_failed`` are the requirement ids the verifier
    failed on this frame (named in the opinion's detail)."""
    d = decoder.decode(sample.l3, seq_high=sample.seq >> 32)
    failed = sorted(set(verifier_failed))
    note = f"verifier: FAIL {', '.join(failed)} on this frame" if failed else "verifier: no FAIL on this frame"
    if not d.icv_ok:
        problems = ", ".join(getattr(p, "value", str(p)) for p in d.problems)
        return FrameOpinion("harness", OracleStatus.FAIL, f"{problems}; {note}", d.spi if d.spi >= 0 else None,
                            d.seq & 0xFFFFFFFF if d.seq >= 0 else None)
    return FrameOpinion("harness", OracleStatus.PASS, note, d.spi, d.seq & 0xFFFFFFFF, d.next_header, d.inner)


def scapy_opinion(sample: EgressSample) -> FrameOpinion:
    """scapy's reading (decrypt and authenticate; the inner packet when it passes)."""
    v = scapy_decrypt(sample.sa.spec, sample.l3, seq_high=sample.seq >> 32)
    inner = v.inner if v.status is OracleStatus.PASS else None
    return FrameOpinion("scapy", v.status, v.detail, v.spi, v.seq, None, inner)


def _tshark_entries(samples: Sequence[EgressSample]) -> list[SaEntry]:
    """The ``esp_sa`` entries: tunnel SAs by their endpoints, transport SAs by the sampled
    frames' outer addresses (Wireshark matches the address family too)."""
    entries: dict[tuple[int, str, str], SaEntry] = {}
    for s in samples:
        if s.sa.is_tunnel:
            entries.setdefault((s.sa.spi, "", ""), s.sa.spec)
        else:
            entries.setdefault((s.sa.spi, s.outer_src, s.outer_dst), (s.sa.spec, s.outer_src, s.outer_dst))
    return list(entries.values())


def tshark_opinions(samples: Sequence[EgressSample], *, tshark: str | None = None) -> list[FrameOpinion]:
    """tshark's reading of every sample, from one run over a temporary pcap of them."""
    if not samples:
        return []
    exe = tshark or tshark_path()
    if exe is None:
        return [FrameOpinion("tshark", OracleStatus.NOT_CHECKABLE, "tshark not installed")] * len(samples)
    with tempfile.TemporaryDirectory(prefix="ipxh-oracle-") as tmp:
        path = Path(tmp) / "samples.pcap"
        write_pcap(path, [(i * 1000, s.frame) for i, s in enumerate(samples)])
        try:
            views = {v.frame: v for v in tshark_check(path, _tshark_entries(samples), tshark=exe)}
        except TsharkError as exc:
            return [FrameOpinion("tshark", OracleStatus.NOT_CHECKABLE, f"tshark failed: {exc}")] * len(samples)
    out = []
    for number in range(1, len(samples) + 1):
        v = views.get(number)
        if v is None:
            out.append(FrameOpinion("tshark", OracleStatus.NOT_CHECKABLE, "tshark did not dissect the frame as ESP"))
        else:
            out.append(FrameOpinion("tshark", v.icv, v.detail, v.spi, v.seq, v.next_header if v.decrypted else None))
    return out


@dataclass(frozen=True)
class OracleReport:
    """Every sample and every oracle's comparison with the harness on it."""

    samples: tuple[EgressSample, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def disagreements(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.failed)

    def coverage(self) -> dict[str, dict[str, int]]:
        """Per oracle, how many sampled frames it agreed on, disagreed on, could not check."""
        out = {name: dict.fromkeys((a.value for a in Agreement), 0) for name in ORACLES}
        for c in self.comparisons:
            out[c.oracle.source][c.agreement.value] += 1
        return out

    def render(self) -> str:
        per = "; ".join(f"{name} " + ", ".join(f"{k} {v}" for k, v in counts.items())
                        for name, counts in self.coverage().items())
        return f"oracles on {len(self.samples)} sampled egress ESP frames: {per}"


def _failed_by_frame(findings: Iterable[Finding]) -> Mapping[tuple[int, int], set[str]]:
    out: dict[tuple[int, int], set[str]] = defaultdict(set)
    for f in findings:
        if f.severity is Severity.FAIL and f.packet.port is not None and f.packet.frame_index is not None:
            out[(f.packet.port, f.packet.frame_index)].add(f.requirement)
    return out


def oracle_report(sas: Sequence[SecurityAssociation], received: Iterable[Any], verifier_findings: Iterable[Finding],
                  per_sa: int = DEFAULT_SAMPLES_PER_SA) -> OracleReport:
    """Sample, ask the harness codec, scapy and tshark, and compare (see the module docstring)."""
    samples = sample_egress(sas, received, per_sa)
    failed = _failed_by_frame(verifier_findings)
    decoders: dict[int, EspDecoder] = {}
    ours = []
    for s in samples:
        decoder = decoders.get(s.sa.spi) or decoders.setdefault(s.sa.spi, EspDecoder(s.sa.spec))
        ours.append(harness_opinion(s, decoder, failed.get((s.port, s.frame_index), ())))
    comparisons = [compare_opinions(s.port, s.frame_index, h, o)
                   for theirs in ([scapy_opinion(s) for s in samples], tshark_opinions(samples))
                   for s, h, o in zip(samples, ours, theirs)]
    return OracleReport(tuple(samples), tuple(comparisons))


def oracle_findings(report: OracleReport, profile: str) -> list[Finding]:
    """A FAIL ``X-ORACLE`` finding per disagreement (both opinions named), and one INFO per
    oracle, SA and reason for frames an oracle could not check."""
    frames = {(s.port, s.frame_index): s for s in report.samples}
    out: list[Finding] = []
    unchecked: dict[tuple[str, int, str], list[Comparison]] = defaultdict(list)
    for c in report.comparisons:
        sample = frames[(c.port, c.frame_index)]
        ref = PacketRef(c.port, c.frame_index)
        if c.agreement is Agreement.DISAGREE:
            out.append(make_finding(REQUIREMENT, profile, ref, f"oracle.{c.oracle.source}", c.harness.describe(),
                                    c.oracle.describe(), detail="; ".join(c.differences), frame=sample.frame))
        elif c.agreement is Agreement.NOT_CHECKABLE:
            unchecked[(c.oracle.source, sample.sa.spi, c.oracle.detail or c.harness.detail)].append(c)
    for (source, spi, why), comps in unchecked.items():
        first = comps[0]
        compared = ", ".join(first.checked) or "nothing"
        out.append(make_finding(REQUIREMENT, profile, PacketRef(first.port, first.frame_index), f"oracle.{source}",
                                "a verdict", f"not checkable: {why}", severity=Severity.INFO,
                                detail=f"{len(comps)} sampled frame(s) of SPI {spi}; compared only: {compared}"))
    return out
