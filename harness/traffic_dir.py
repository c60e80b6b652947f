"""A generated traffic directory: what ``generate`` writes and what ``verify`` reads back.

Layout of DIR::

    gateway.cfg       the scenario as DPDK ipsec-secgw cfg text
    gateway.args      the secgw-like options on one line (-u MASK -w N [-e] --engine E)
    tx-port<N>.pcap   frames to send into DUT port N (dst = the DUT's MAC on N, src = the tester's)
    manifest.json     scenario, streams, profile, per-port frame count and SHA-256 (see ``manifest``)
    esp_sa            Wireshark's ESP SA table for every SA it can decrypt

Frames of the streams that share a port are interleaved round robin. Timestamps in the tx
pcaps are nominal (1 µs apart): replay them at the rate you want (``tcpreplay --topspeed`` or
``--pps``, TRex/Spirent import at their own rate).

Capture filter rule (``verify``): on port N, a frame whose Ethernet source address is the
tester's MAC on port N (the source of every frame we generated for N) is the tester's own
transmission seen on the link, not DUT output: it is removed and counted, never reported. All
other frames are judged; finding frame numbers are 0-based positions in the capture file as
given (Wireshark's frame number minus one).
"""
from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from harness.io.capture_file import read_capture
from harness.io.pcap import PcapError, write_pcap
from harness.manifest import Manifest, ManifestError, TxPcap, frames_sha256, read_manifest, write_manifest
from harness.oracles.esp_sa_table import write_esp_sa
from harness.results.provenance import tool_info
from harness.scenario.model import Engine
from harness.scenario.presets import build_preset, list_presets, matrix_names
from harness.scenario.scenario import Scenario
from harness.stream.builder import SentPacket, build_packets
from harness.stream.policy_streams import policy_streams
from harness.stream.sizes import SizeSpec
from harness.stream.spec import StreamSpec
from harness.verify.findings import Finding
from harness.verify.profiles import get_profile
from harness.verify.report import VerifyResult
from harness.verify.verdict import verify

CFG_NAME, ARGS_NAME, ESP_SA_NAME = "gateway.cfg", "gateway.args", "esp_sa"
TX_SPACING_NS = 1000  # nominal gap between tx pcap timestamps
Records = list[tuple[int, bytes]]


class TrafficError(ValueError):
    """Bad input to generate/verify/inspect: one line naming the file, field or name."""


def tx_pcap_name(port: int) -> str:
    return f"tx-port{port}.pcap"


def default_profile(scenario: Scenario) -> str:
    """secgw-legacy for the legacy engine, else secgw-library."""
    return "secgw-legacy" if scenario.options.engine is Engine.LEGACY else "secgw-library"


def resolve_scenario(name_or_file: str) -> Scenario:
    """A preset name, or a scenario JSON file (``Scenario.to_json``). Unknown names list the
    closest preset names."""
    path = Path(name_or_file)
    if path.suffix == ".json" or path.is_file():
        try:
            return Scenario.from_json(path.read_text())
        except OSError as exc:
            raise TrafficError(f"{path}: cannot read scenario file: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise TrafficError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise TrafficError(f"{path}: not a valid scenario: {exc}") from None
    try:
        return build_preset(name_or_file)
    except ValueError as exc:
        known = list(dict.fromkeys((*list_presets(), *matrix_names())))
        close = difflib.get_close_matches(name_or_file, known, n=5, cutoff=0.6)
        hint = f"; close names: {', '.join(close)}" if close else "; see the preset grammar in harness/scenario/presets.py"
        raise TrafficError(f"unknown scenario {name_or_file!r} ({exc}){hint}") from None


def load_streams(path: str | Path) -> tuple[StreamSpec, ...]:
    """Stream specs from a JSON file holding one spec object or a list of them."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise TrafficError(f"{path}: cannot read streams file: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise TrafficError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(StreamSpec.from_dict(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TrafficError(f"{path}: stream [{i}]: {exc}") from None
    if not out:
        raise TrafficError(f"{path}: no streams")
    return tuple(out)


def choose_streams(scenario: Scenario, streams: Sequence[StreamSpec] | None, count: int | None,
                   size: int | None) -> tuple[StreamSpec, ...]:
    """The given streams (``count``/``size`` override every stream when set), or one stream
    per SP rule of the scenario (``policy_streams``: clear outbound into the protected port,
    ESP from the peer and clear bypass/discard into the unprotected port)."""
    sizes = None if size is None else SizeSpec.fixed(size)
    try:
        if streams is None:
            return tuple(policy_streams(scenario, 100 if count is None else count, sizes).values())
        changes: dict[str, object] = {}
        if count is not None:
            changes["count"] = count
        if sizes is not None:
            changes["sizes"] = sizes
        return tuple(dataclasses.replace(s, **changes) for s in streams)
    except ValueError as exc:
        raise TrafficError(f"streams: {exc}") from None


def _check_ports(scenario: Scenario, streams: Iterable[StreamSpec]) -> None:
    ids = {p.id for p in scenario.ports}
    ids_seen = set()
    for s in streams:
        if s.port not in ids:
            raise TrafficError(f"stream {s.stream_id} ({s.name or 'unnamed'}): port {s.port} is not a port of "
                               f"scenario {scenario.name!r} (ports {sorted(ids)})")
        if s.stream_id in ids_seen:
            raise TrafficError(f"stream id {s.stream_id} is used twice: signatures could not tell the streams apart")
        ids_seen.add(s.stream_id)


def tx_packets(scenario: Scenario, streams: Sequence[StreamSpec]) -> dict[int, list[SentPacket]]:
    """Per DUT port, the packets to send in order: the port's streams interleaved round robin."""
    _check_ports(scenario, streams)
    groups: dict[int, list[list[SentPacket]]] = {}
    for s in streams:
        groups.setdefault(s.port, []).append(build_packets(s, scenario))
    return {port: [p for row in zip_longest(*lists) for p in row if p is not None]
            for port, lists in sorted(groups.items())}


def generate(scenario: Scenario, streams: Sequence[StreamSpec], out_dir: str | Path,
             profile: str | None = None) -> Manifest:
    """Write the traffic directory (see the module docstring) and return its manifest."""
    out = Path(out_dir)
    profile = profile or default_profile(scenario)
    get_profile(profile)
    packets = tx_packets(scenario, streams)
    out.mkdir(parents=True, exist_ok=True)
    (out / CFG_NAME).write_text(scenario.to_cfg())
    (out / ARGS_NAME).write_text(" ".join(scenario.dut_args()) + "\n")
    tx = []
    for port, pkts in packets.items():
        write_pcap(out / tx_pcap_name(port), ((i * TX_SPACING_NS, p.frame) for i, p in enumerate(pkts)))
        tx.append(TxPcap(port, tx_pcap_name(port), len(pkts), frames_sha256(p.frame for p in pkts)))
    write_esp_sa([sa.spec for sa in scenario.sas], out / ESP_SA_NAME)
    tool = tool_info()
    manifest = Manifest(scenario, tuple(streams), profile, tuple(tx), tool.version, tool.commit)
    write_manifest(out, manifest)
    return manifest


def read_records(path: str | Path) -> Records:
    """A pcap or pcapng file's records; unreadable or other files become ``TrafficError``."""
    try:
        return read_capture(path)
    except PcapError as exc:
        raise TrafficError(str(exc)) from None
    except OSError as exc:
        raise TrafficError(f"{path}: {exc.strerror}") from None


def load_sent(directory: str | Path, manifest: Manifest) -> list[SentPacket]:
    """Rebuild the sent packets from the manifest's scenario and streams, and prove they are
    the frames of the tx pcaps (SHA-256), so a stale manifest or an edited pcap is caught."""
    directory = Path(directory)
    try:
        rebuilt = tx_packets(manifest.scenario, manifest.streams)
    except ValueError as exc:
        raise TrafficError(f"{directory / 'manifest.json'}: streams: {exc}") from None
    if sorted(rebuilt) != sorted(t.port for t in manifest.tx):
        raise TrafficError(f"{directory}: manifest tx ports {sorted(t.port for t in manifest.tx)} do not match its "
                           f"streams' ports {sorted(rebuilt)}")
    sent: list[SentPacket] = []
    for port, pkts in rebuilt.items():
        tx = manifest.tx_for(port)
        assert tx is not None  # ports compared above
        frames = [f for _, f in read_records(directory / tx.pcap)]
        if frames_sha256(frames) != tx.sha256:
            raise TrafficError(f"{directory / tx.pcap}: frames changed since generate (sha256 differs from "
                               f"manifest.json); regenerate instead of editing the pcap")
        if frames_sha256(p.frame for p in pkts) != tx.sha256:
            raise TrafficError(f"{directory / 'manifest.json'}: rebuilding the streams gives other frames than "
                               f"{tx.pcap} (manifest written by {manifest.tool_version or 'another version'} "
                               f"{manifest.tool_commit[:12]}); regenerate with this version")
        sent += pkts
    return sent


@dataclass(frozen=True)
class CaptureSplit:
    """One port's capture after removing the tester's own frames (see the module docstring)."""

    port: int
    records: Records  # DUT frames, in capture order
    positions: tuple[int, ...]  # position of each kept frame in the capture file
    filtered: int  # tester frames removed


def split_capture(port: int, records: Records, tester_mac: bytes) -> CaptureSplit:
    kept: Records = []
    positions: list[int] = []
    for i, (ts, frame) in enumerate(records):
        if frame[6:12] == tester_mac:
            continue
        kept.append((ts, frame))
        positions.append(i)
    return CaptureSplit(port, kept, tuple(positions), len(records) - len(kept))


def _renumber(findings: Sequence[Finding], splits: Mapping[int, CaptureSplit]) -> tuple[Finding, ...]:
    """Frame indices from positions among DUT frames to positions in the capture files."""
    out = []
    for f in findings:
        ref, split = f.packet, splits.get(f.packet.port) if f.packet.port is not None else None
        if split is not None and ref.frame_index is not None and ref.frame_index < len(split.positions):
            f = dataclasses.replace(f, packet=dataclasses.replace(ref, frame_index=split.positions[ref.frame_index]))
        out.append(f)
    return tuple(out)


@dataclass(frozen=True)
class DirVerdict:
    scenario: Scenario  # the manifest's
    result: VerifyResult
    filtered: dict[int, int]  # port -> tester frames removed from its capture
    captured: dict[int, int]  # port -> frames in the capture file


def parse_rx(specs: Sequence[str]) -> dict[int, Path]:
    """``PORT=FILE`` arguments to a port -> path map."""
    out: dict[int, Path] = {}
    for spec in specs:
        port, sep, path = spec.partition("=")
        if not sep or not port.isdigit() or not path:
            raise TrafficError(f"--rx {spec!r}: expected PORT=CAPTURE.pcap, e.g. 0=port0.pcap")
        if int(port) in out:
            raise TrafficError(f"--rx {spec!r}: port {port} given twice")
        out[int(port)] = Path(path)
    return out


def verify_dir(directory: str | Path, captures: Mapping[int, str | Path], profile: str | None = None) -> DirVerdict:
    """Judge captures of the DUT's ports against the traffic directory's manifest."""
    try:
        manifest = read_manifest(directory)
    except ManifestError as exc:
        raise TrafficError(str(exc)) from None
    scenario = manifest.scenario
    ids = {p.id for p in scenario.ports}
    for port in captures:
        if port not in ids:
            raise TrafficError(f"--rx {port}=...: port {port} is not in the manifest's scenario (ports {sorted(ids)})")
    try:
        prof = get_profile(profile or manifest.profile)
    except ValueError as exc:
        raise TrafficError(str(exc)) from None
    sent = load_sent(directory, manifest)
    splits, captured = {}, {}
    for port, path in sorted(captures.items()):
        records = read_records(path)
        captured[port] = len(records)
        splits[port] = split_capture(port, records, scenario.port(port).tester_mac)
    result = verify(scenario, sent, {p: s.records for p, s in splits.items()}, prof)
    result = dataclasses.replace(result, findings=_renumber(result.findings, splits))
    return DirVerdict(scenario, result, {p: s.filtered for p, s in splits.items()}, captured)
