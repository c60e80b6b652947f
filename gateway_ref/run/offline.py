"""Offline runner: rx pcaps merged in timestamp order, processed in bursts, outputs per port.

A burst is a run of consecutive records (in merged time order) received on the same port, at
most ``burst`` long, as a poll-mode rx burst would be. Output frames take the timestamp of the
last input record of the burst that produced them; frames that only come out of the final
``flush`` take the last input timestamp. Sorting is stable, so records with equal timestamps
keep their order, and ports are merged in ascending port order.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gateway_ref.pcap import PcapRecord, read_pcap, write_pcap


class Processor(Protocol):
    """What the runners drive: ``Gateway`` satisfies it."""

    def process(self, port: int, frames: list[bytes]) -> dict[int, list[bytes]]: ...

    def flush(self) -> dict[int, list[bytes]]: ...

    def counters(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Burst:
    port: int
    ts_ns: int  # timestamp of the last frame of the burst
    frames: list[bytes]


def merge_inputs(inputs: Mapping[int, Sequence[PcapRecord]]) -> Iterator[tuple[int, PcapRecord]]:
    """(port, record) of every input in timestamp order; ties broken by port, then file order."""
    streams = [((rec.ts_ns, port, i), port, rec) for port, recs in inputs.items() for i, rec in enumerate(recs)]
    streams.sort(key=lambda item: item[0])
    for _key, port, rec in streams:
        yield port, rec


def bursts_by_port(records: Iterable[tuple[int, PcapRecord]], burst: int) -> Iterator[Burst]:
    """Group consecutive same-port records into bursts of at most ``burst`` frames."""
    if burst < 1:
        raise ValueError(f"burst must be >= 1, got {burst}")
    port, frames, last = -1, [], 0
    for rx_port, rec in records:
        if frames and (rx_port != port or len(frames) >= burst):
            yield Burst(port, last, frames)
            frames = []
        port, last = rx_port, rec.ts_ns
        frames.append(rec.data)
    if frames:
        yield Burst(port, last, frames)


def run_bursts(gw: Processor, bursts: Iterable[Burst]) -> dict[int, list[PcapRecord]]:
    """Process every burst then flush; return output records per tx port."""
    out: dict[int, list[PcapRecord]] = {}
    last = 0
    for b in bursts:
        last = b.ts_ns
        _collect(out, gw.process(b.port, b.frames), b.ts_ns)
    _collect(out, gw.flush(), last)
    return out


def _collect(out: dict[int, list[PcapRecord]], sent: Mapping[int, list[bytes]], ts_ns: int) -> None:
    for port, frames in sent.items():
        out.setdefault(port, []).extend(PcapRecord(ts_ns, f) for f in frames)


def run_offline(gw: Processor, rx_files: Mapping[int, str | Path], out_dir: str | Path, ports: Iterable[int],
                *, burst: int = 32) -> dict[str, Any]:
    """Read rx pcaps, run, write ``out_dir/port<N>.pcap`` for every port in ``ports`` (empty ones
    too) and ``out_dir/counters.json``; return the counters. PcapError on a bad input file."""
    inputs = {port: read_pcap(path) for port, path in rx_files.items()}
    out = run_bursts(gw, bursts_by_port(merge_inputs(inputs), burst))
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    for port in sorted(set(ports) | set(rx_files) | set(out)):
        write_pcap(out_path / f"port{port}.pcap", out.get(port, []))
    counters = gw.counters()
    (out_path / "counters.json").write_text(json.dumps(counters, indent=2, sort_keys=True) + "\n")
    return counters


def summary(counters: Mapping[str, Any]) -> str:
    """A few lines for humans: totals, per-port, drops by reason, active SAs."""
    lines = [f"rx {counters['rx']}  tx {counters['tx']}  dropped {counters['dropped']}  pending {counters['pending']}"]
    for port, c in counters["ports"].items():
        lines.append(f"  port {port}: rx {c['rx']} tx {c['tx']}")
    for reason, n in counters["drops"].items():
        lines.append(f"  drop {reason}: {n}")
    for key, c in counters["sa"].items():
        if c["packets"] or c["drops"]:
            lines.append(f"  sa {key}: {c['packets']} packets, {c['bytes']} bytes, {c['drops']} drops")
    return "\n".join(lines)
