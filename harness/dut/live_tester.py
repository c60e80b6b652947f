"""The tester side of a live DUT: one AF_PACKET port per DUT port, capturing all the time.

``send(port, frames)`` transmits on the tester interface wired to DUT port ``port``;
``collect()`` waits until the DUT's output has settled and returns every frame captured on
every tester interface since the last collect, with kernel RX timestamps (CLOCK_REALTIME ns).
Settled means no new frame for the quiet time: ``settle_s``, or ``DRAIN_FACTOR`` times the
tail (how long after the last send frames were still arriving) when that is longer, so a DUT
draining a deep backlog — and pausing in it, as a process starved of CPU does — is waited
for instead of leaking its late frames into the next trial; at most ``max_wait_s`` in all.
Captures are TPACKET_V3 rings whose retired blocks a thread copies out (frames are split at
collect, so the thread barely competes with the sender for the interpreter), with
PACKET_IGNORE_OUTGOING so our own frames never come back as DUT output.

For rate measurement, ``send_paced`` hands a whole trial to the tester port's own paced
sendmmsg loop (``AfPacketPort.send`` with a rate: one syscall per burst, no per-burst call
through the DUT adapter), and ``capture_drops`` reports frames the tester's own capture rings
dropped (PACKET_STATISTICS), so that loss is never blamed on the DUT. The kernel counts are
only readable when a capture stops, so ``capture_drops`` stops and restarts every capture
(keeping the frames for the next ``collect``): call it only once the DUT output has settled.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence

from harness.dut.base import ReceivedFrame
from harness.io.afpacket import AfPacketConfig, AfPacketPort, RxMode
from harness.io.port import Captured, SendResult, StopReason

SETTLE_S = 0.15
DRAIN_FACTOR = 0.5  # quiet time >= this x how long after the last send the DUT kept emitting
MAX_WAIT_S = 5.0
TICK_S = 0.01
SEND_LIMIT_S = 30.0
CAPTURE_CONFIG = AfPacketConfig(rx_mode=RxMode.RING, rx_threaded=True, rx_retire_ms=4, rx_ring_bytes=32 << 20)


@dataclasses.dataclass(frozen=True)
class TesterPort:
    """DUT port ``port`` is wired to tester interface ``iface`` (in ``netns``, None: here)."""

    port: int
    iface: str
    netns: str | None = None


class LiveTester:
    """Tester ports for a set of DUT ports; capture starts at construction."""

    def __init__(self, ports: Sequence[TesterPort], *, settle_s: float = SETTLE_S,
                 max_wait_s: float = MAX_WAIT_S, config: AfPacketConfig = CAPTURE_CONFIG) -> None:
        self.settle_s = settle_s
        self.max_wait_s = max_wait_s
        self._ports: dict[int, AfPacketPort] = {}
        try:
            for tp in ports:
                p = AfPacketPort(tp.iface, netns=tp.netns, config=config)
                self._ports[tp.port] = p
                p.start_capture()
        except Exception:
            self.close()
            raise
        self._last_send = time.monotonic()
        self._held: dict[int, list[Captured]] = {}  # frames taken by capture_drops, for collect
        self._drops_seen = {port: 0 for port in self._ports}

    @property
    def ports(self) -> Mapping[int, AfPacketPort]:
        return self._ports

    def port(self, port: int) -> AfPacketPort:
        """The tester port facing DUT port ``port`` (ValueError naming the ports there are)."""
        try:
            return self._ports[port]
        except KeyError:
            raise ValueError(f"no tester interface for DUT port {port} (have {sorted(self._ports)})") from None

    def send_paced(self, port: int, frames: Sequence[bytes], *, rate_pps: float | None,
                   duration_limit_s: float) -> SendResult:
        """Send ``frames`` toward DUT port ``port`` at ``rate_pps`` in bursts of the port's
        ``config.burst`` (one paced sendmmsg loop); a short send is reported, not raised."""
        result = self.port(port).send(frames, rate_pps=rate_pps, duration_limit_s=duration_limit_s)
        self._last_send = time.monotonic()
        return result

    def capture_drops(self) -> int:
        """Frames the tester's capture rings dropped since the last call (all ports); see the
        module docstring for why the captures restart."""
        total = 0
        for port, tester in self._ports.items():
            self._held.setdefault(port, []).extend(tester.stop_capture())
            tester.start_capture()
            drops = tester.kernel_stats().drops
            total += drops - self._drops_seen[port]
            self._drops_seen[port] = drops
        return total

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        """Transmit ``frames`` on the tester interface facing DUT port ``port`` (bounded in time)."""
        tester = self.port(port)
        result = tester.send(list(frames), duration_limit_s=SEND_LIMIT_S)
        if result.stop is not StopReason.COMPLETE:
            raise RuntimeError(f"DUT port {port}: sent {result.frames_sent} of {len(frames)} frames "
                               f"({result.stop.value}) on {tester.name}")
        self._last_send = time.monotonic()

    def _take(self, into: list[ReceivedFrame]) -> int:
        before = len(into)
        for port, held in self._held.items():
            into.extend(ReceivedFrame(port, ts, bytes(frame)) for ts, frame in held)
        self._held = {}
        for port, tester in self._ports.items():
            into.extend(ReceivedFrame(port, ts, bytes(frame)) for ts, frame in tester.take_captured())
        return len(into) - before

    def collect(self) -> list[ReceivedFrame]:
        """Everything captured since the last collect, once the output settled (module
        docstring: quiet for ``quiet_time``), at most ``max_wait_s``."""
        got: list[ReceivedFrame] = []
        start = time.monotonic()
        quiet_since = max(self._last_send, start - self.settle_s / 2)
        while True:
            now = time.monotonic()
            if self._take(got):
                quiet_since = now
            elif now - quiet_since >= self.quiet_time(quiet_since) or now - start >= self.max_wait_s:
                break
            time.sleep(TICK_S)
        got.sort(key=lambda f: (f.port, f.ts_ns))
        return got

    def quiet_time(self, last_frame: float) -> float:
        """How long no frame may come before the output counts as settled, given the monotonic
        time of the last frame seen (``settle_s``, longer after a long drain tail)."""
        return max(self.settle_s, DRAIN_FACTOR * (last_frame - self._last_send))

    def close(self) -> None:
        """Stop captures and close sockets; idempotent."""
        ports, self._ports = self._ports, {}
        for p in ports.values():
            p.close()
