"""tcpreplay as an optional fast sender, run inside a namespace and parsed for its counts.

``tcpreplay --topspeed -K -i IFACE file.pcap`` (-K: preload the file into memory, so the disk
is not timed) prints lines such as::

    Actual: 100000 packets (6400000 bytes) sent in 0.087 seconds
    Rated: 73563218.3 Bps, 588.50 Mbps, 1149425.28 pps
        Successful packets:        100000
        Failed packets:            0
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness.io.pcap import write_pcap
from harness.io.port import PortError
from harness.topo.netns import run_in_netns

_ACTUAL = re.compile(r"Actual:\s+(\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds")
_RATED = re.compile(r"Rated:.*?([\d.]+) pps")
_SUCCESS = re.compile(r"Successful packets:\s+(\d+)")
_FAILED = re.compile(r"Failed packets:\s+(\d+)")


@dataclasses.dataclass(frozen=True)
class TcpreplayResult:
    """tcpreplay's own counts; ``elapsed_s`` and ``pps`` are as tcpreplay reports them."""

    packets: int
    bytes: int
    elapsed_s: float
    pps: float
    successful: int
    failed: int
    wall_s: float  # including process start and preload, measured by us (monotonic)


def available() -> bool:
    """True when ``tcpreplay`` is on PATH."""
    return shutil.which("tcpreplay") is not None


def parse_output(text: str) -> TcpreplayResult | None:
    """Counts from tcpreplay's output, or None when its summary is missing."""
    actual = _ACTUAL.search(text)
    if not actual:
        return None
    rated = _RATED.search(text)
    success = _SUCCESS.search(text)
    failed = _FAILED.search(text)
    return TcpreplayResult(
        packets=int(actual.group(1)),
        bytes=int(actual.group(2)),
        elapsed_s=float(actual.group(3)),
        pps=float(rated.group(1)) if rated else 0.0,
        successful=int(success.group(1)) if success else int(actual.group(1)),
        failed=int(failed.group(1)) if failed else 0,
        wall_s=0.0,
    )


def replay_pcap(netns: str | None, iface: str, pcap: Path, *, pps: float | None = None,
                timeout_s: float = 120.0) -> TcpreplayResult:
    """Replay ``pcap`` on ``iface`` at top speed (or ``pps``); bounded by ``timeout_s``."""
    if not available():
        raise PortError("tcpreplay is not installed")
    speed = [f"--pps={pps}"] if pps else ["--topspeed"]
    argv = ["tcpreplay", *speed, "-K", "-i", iface, str(pcap)]
    start = time.monotonic()
    proc = run_in_netns(netns, argv, timeout_s=timeout_s, check=False)
    wall = time.monotonic() - start
    result = parse_output(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0 or result is None:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PortError(f"`{' '.join(argv)}` failed (exit {proc.returncode}): {tail}")
    return dataclasses.replace(result, wall_s=wall)


def replay_frames(netns: str | None, iface: str, frames: Sequence[bytes], *, pps: float | None = None,
                  timeout_s: float = 120.0) -> TcpreplayResult:
    """Write ``frames`` to a temporary pcap and replay it with ``replay_pcap``."""
    with tempfile.TemporaryDirectory(prefix="ipxh-") as tmp:
        path = Path(tmp) / "frames.pcap"
        write_pcap(path, ((i, f) for i, f in enumerate(frames)))
        return replay_pcap(netns, iface, path, pps=pps, timeout_s=timeout_s)
