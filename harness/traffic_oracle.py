"""``verify --oracle``: a third opinion on every ESP frame of a capture.

The harness codec's ICV verdict per ESP frame (from ``esp_inspect``) is compared with tshark's
(decrypting with a generated ``esp_sa`` table) when tshark is installed, else with scapy's
``SecurityAssociation`` on at most ``SCAPY_LIMIT`` frames per capture (scapy costs about a
millisecond per packet). Where the oracle cannot judge an SA (an algorithm it lacks, ESN in
tshark) the frame counts as not checkable, never as agreement.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec.frame_view import parse_frame
from harness.esp_inspect import EspPacketReport, inspect_frames, sa_label
from harness.oracles.tshark_oracle import TsharkError, tshark_check, tshark_path
from harness.oracles.verdict import OracleStatus
from harness.scenario.scenario import Scenario

SCAPY_LIMIT = 2000


@dataclass(frozen=True)
class OracleSummary:
    oracle: str  # "tshark" or "scapy"
    capture: str
    esp_frames: int
    agree: int
    not_checkable: int
    disagreements: tuple[str, ...]  # one readable line per frame where the verdicts differ
    note: str = ""

    def render(self) -> str:
        line = (f"oracle {self.oracle} on {self.capture}: {self.esp_frames} ESP frames, agree {self.agree}, "
                f"disagree {len(self.disagreements)}, not checkable {self.not_checkable}")
        if self.note:
            line += f" ({self.note})"
        return "\n".join([line, *("  " + d for d in self.disagreements)])

    def to_json(self) -> dict[str, object]:
        return {"oracle": self.oracle, "capture": self.capture, "esp_frames": self.esp_frames, "agree": self.agree,
                "not_checkable": self.not_checkable, "disagreements": list(self.disagreements), "note": self.note}


def _ours(pkt: EspPacketReport) -> str:
    return "no SA" if pkt.icv_ok is None else "ICV ok" if pkt.icv_ok else "ICV bad"


def _tshark(scenario: Scenario, path: Path, packets: Sequence[EspPacketReport]) -> OracleSummary:
    views = {v.frame - 1: v for v in tshark_check(path, [sa.spec for sa in scenario.sas])}
    agree = unknown = 0
    bad = []
    for pkt in packets:
        view = views.get(pkt.frame_index)
        if view is None or view.icv is OracleStatus.NOT_CHECKABLE or pkt.icv_ok is None:
            unknown += 1
        elif (view.icv is OracleStatus.PASS) == pkt.icv_ok:
            agree += 1
        else:
            bad.append(f"frame #{pkt.frame_index} SA {pkt.sa}: harness {_ours(pkt)}, tshark {view.icv.value} "
                       f"{view.detail}".rstrip())
    return OracleSummary("tshark", str(path), len(packets), agree, unknown, tuple(bad))


def _scapy(scenario: Scenario, path: Path, frames: Sequence[bytes],
           packets: Sequence[EspPacketReport]) -> OracleSummary:
    from harness.oracles.scapy_oracle import scapy_decrypt  # noqa: PLC0415 - scapy loads slowly

    by_label = {sa_label(sa): sa for sa in scenario.sas}
    agree = unknown = 0
    bad = []
    for pkt in packets[:SCAPY_LIMIT]:
        sa = by_label.get(pkt.sa or "")
        if sa is None:
            unknown += 1
            continue
        frame = frames[pkt.frame_index]
        verdict = scapy_decrypt(sa.spec, frame[parse_frame(frame).l3_offset:], seq_high=pkt.seq >> 32)
        if verdict.status is OracleStatus.NOT_CHECKABLE:
            unknown += 1
        elif (verdict.status is OracleStatus.PASS) == pkt.icv_ok:
            agree += 1
        else:
            bad.append(f"frame #{pkt.frame_index} SA {pkt.sa}: harness {_ours(pkt)}, scapy {verdict.status.value} "
                       f"{verdict.detail}".rstrip())
    skipped = max(0, len(packets) - SCAPY_LIMIT)
    note = "tshark not installed" + (f"; {skipped} frames past the first {SCAPY_LIMIT} not checked" if skipped else "")
    return OracleSummary("scapy", str(path), len(packets), agree, unknown + skipped, tuple(bad), note)


def oracle_check(scenario: Scenario, path: str | Path, frames: Sequence[bytes]) -> OracleSummary:
    """Compare the harness's ICV verdicts on the ESP frames of the capture ``path`` (whose
    frames are ``frames``) with tshark's, or scapy's when tshark is missing or fails."""
    path = Path(path)
    packets = list(inspect_frames(scenario, frames).packets)
    if tshark_path() is not None:
        try:
            return _tshark(scenario, path, packets)
        except TsharkError as exc:
            summary = _scapy(scenario, path, frames, packets)
            return OracleSummary(summary.oracle, summary.capture, summary.esp_frames, summary.agree,
                                 summary.not_checkable, summary.disagreements, f"tshark failed: {exc}")
    return _scapy(scenario, path, frames, packets)
