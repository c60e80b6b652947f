"""``AfPacketPort``: a live port on a Linux interface, optionally inside a network namespace.

TX: ``TxMode.SENDMMSG`` (one sendmmsg() per burst, the default), ``TxMode.RING``
(PACKET_TX_RING, TPACKET_V2) or ``TxMode.SEND`` (one ``send()`` per frame), all with
PACKET_QDISC_BYPASS by default. RX: ``RxMode.RING`` (TPACKET_V3 ring) or
``RxMode.RECV`` (``recv_into`` + SO_TIMESTAMPNS). Sockets are created inside the namespace
(``harness.topo.call_in_netns``) and then used from the calling thread.

TX timestamps: each burst records CLOCK_REALTIME just before it is handed to the kernel
(``SendResult.bursts``; with ``burst=1`` that is one stamp per frame, which is how
bench_io.py measures one-way latency). SO_TIMESTAMPING TX software stamps are not
implemented: they would need an error-queue read per frame on the send path.
"""
from __future__ import annotations

import dataclasses
import enum
import errno
from collections.abc import Sequence

from harness.io import packetsock
from harness.io.capture import RecvCapture, RingCapture
from harness.io.pacing import DEFAULT_BURST, Rate, paced_send
from harness.io.sendmmsg import UIO_MAXIOV, BatchSender
from harness.io.packetsock import ZERO_STATS, KernelStats
from harness.io.port import DEFAULT_DURATION_LIMIT_S, Captured, PortError, PortStats, SendResult
from harness.io.rxring import RingFormatError
from harness.io.txring import TxRing, slot_size_for
from harness.topo.netns import call_in_netns

_RETRY_ERRNOS = {errno.ENOBUFS, errno.EAGAIN}
UNPACED_MMSG_BURST = UIO_MAXIOV  # frames per sendmmsg call when no rate is asked for


class TxMode(enum.Enum):
    """How frames are handed to the kernel."""

    RING = "tx-ring"  # PACKET_TX_RING, TPACKET_V2: copy into slots, one send() per burst
    SEND = "send"  # one send() syscall per frame
    SENDMMSG = "sendmmsg"  # one sendmmsg() syscall per burst (harness.io.sendmmsg)


class RxMode(enum.Enum):
    """How frames are captured."""

    RING = "rx-ring"  # PACKET_RX_RING, TPACKET_V3
    RECV = "recv"  # recvmsg_into + SO_TIMESTAMPNS


@dataclasses.dataclass(frozen=True)
class AfPacketConfig:
    """Knobs of an AfPacketPort; the defaults are the fastest measured here (bench_io.py).

    sendmmsg() per burst beat ``send()`` per frame by x1.27-1.35 on veth (same run, 64-byte
    frames), and ``send()`` beat the TPACKET_V2 TX ring (the ring's per-slot Python copy
    costs more than the syscall it saves), so SENDMMSG is the default TX mode. Unpaced sends
    use UNPACED_MMSG_BURST (1024, the kernel's per-call maximum) frames per call: x1.3-1.55
    the pps of 128 with a capture on the peer, 25-50 % less user and ~15 % less system CPU
    per frame (alternating runs, same rig).
    """

    tx_mode: TxMode = TxMode.SENDMMSG
    rx_mode: RxMode = RxMode.RING
    qdisc_bypass: bool = True
    ignore_outgoing: bool = True
    burst: int = DEFAULT_BURST
    tx_ring_frames: int = 4096
    max_frame: int = 2016
    rx_ring_bytes: int = 64 << 20
    rx_block_size: int = 1 << 20
    rx_retire_ms: int = 60  # long: every retired block is a new block, see rxring.py
    rx_threaded: bool = False  # ring: copy blocks out while capturing (thread) or only at stop
    rcvbuf_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError(f"burst={self.burst}: must be at least 1")
        if self.tx_mode is TxMode.SENDMMSG and self.burst > UIO_MAXIOV:
            raise ValueError(f"burst={self.burst}: sendmmsg takes at most {UIO_MAXIOV} frames per call")


class AfPacketPort:
    """A live port on ``iface`` (inside ``netns`` when given)."""

    def __init__(self, iface: str, *, netns: str | None = None,
                 config: AfPacketConfig = AfPacketConfig()) -> None:
        self.name = f"{netns}:{iface}" if netns else iface
        self.iface = iface
        self.netns = netns
        self.config = config
        self._frames_sent = 0
        self._bytes_sent = 0
        self._frames_captured = 0
        self._kernel = ZERO_STATS
        self._capture: RingCapture | RecvCapture | None = None
        try:
            self._sock = call_in_netns(
                netns, lambda: packetsock.open_tx_socket(iface, qdisc_bypass=config.qdisc_bypass)
            )
        except OSError as exc:
            raise PortError(f"{self.name}: cannot open AF_PACKET socket: {exc}") from exc
        self._ring: TxRing | None = None
        self._mmsg: BatchSender | None = None
        if config.tx_mode is TxMode.SENDMMSG:
            try:
                self._mmsg = BatchSender(self._sock.fileno(), max(config.burst, UNPACED_MMSG_BURST))
            except OSError as exc:
                self._sock.close()
                raise PortError(f"{self.name}: cannot use sendmmsg: {exc.strerror or exc}") from exc
        if config.tx_mode is TxMode.RING:
            try:
                self._ring = TxRing(self._sock, frames=config.tx_ring_frames,
                                    slot_size=slot_size_for(config.max_frame))
            except OSError as exc:
                self._sock.close()
                raise PortError(f"{self.name}: cannot set up PACKET_TX_RING: {exc}") from exc

    def _send_each(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        send = self._sock.send
        done = 0
        try:
            for frame in frames[start:stop]:  # iterating a slice beats indexing per frame
                send(frame)
                done += 1
        except OSError as exc:
            if exc.errno in _RETRY_ERRNOS:
                return done
            i = start + done
            raise PortError(f"{self.name}: frame {i} ({len(frames[i])} bytes): {exc}") from exc
        return done

    def _send_mmsg(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        assert self._mmsg is not None
        try:
            return self._mmsg.send(frames, start, stop)
        except OSError as exc:
            if exc.errno in _RETRY_ERRNOS:
                return 0
            raise PortError(f"{self.name}: frame {start} ({len(frames[start])} bytes): {exc}") from exc

    def _send_ring(self, frames: Sequence[bytes], start: int, stop: int) -> int:
        assert self._ring is not None
        try:
            return self._ring.send_batch(frames, start, stop)
        except ValueError as exc:
            raise PortError(f"{self.name}: {exc}") from exc
        except OSError as exc:
            if exc.errno in _RETRY_ERRNOS:
                return 0
            raise PortError(f"{self.name}: TX ring send: {exc}") from exc

    def send(
        self,
        frames: Sequence[bytes],
        *,
        rate_pps: float | None = None,
        rate_bps: float | None = None,
        duration_limit_s: float = DEFAULT_DURATION_LIMIT_S,
    ) -> SendResult:
        """Send ``frames`` in bursts of ``config.burst``, paced when a rate is given.

        Unpaced sendmmsg sends use bursts of at least UNPACED_MMSG_BURST frames (fewer
        syscalls; ``SendResult.bursts`` is then that coarse).
        """
        rate = Rate.from_args(rate_pps, rate_bps)
        burst = self.config.burst
        if self._mmsg is not None:
            batch = self._send_mmsg
            burst = burst if rate is not None else self._mmsg.capacity
        else:
            batch = self._send_ring if self._ring is not None else self._send_each
        result = paced_send(frames, batch, rate=rate, burst=burst, duration_limit_s=duration_limit_s)
        self._frames_sent += result.frames_sent
        self._bytes_sent += result.bytes_sent
        return result

    def _open_capture(self) -> RingCapture | RecvCapture:
        cfg = self.config
        if cfg.rx_mode is RxMode.RING:
            return RingCapture(self.iface, ring_bytes=cfg.rx_ring_bytes, block_size=cfg.rx_block_size,
                               retire_ms=cfg.rx_retire_ms, ignore_outgoing=cfg.ignore_outgoing,
                               threaded=cfg.rx_threaded)
        return RecvCapture(self.iface, rcvbuf_bytes=cfg.rcvbuf_bytes, ignore_outgoing=cfg.ignore_outgoing)

    def start_capture(self) -> None:
        """Open a capture socket on the interface; frames arriving from now on are kept."""
        if self._capture is not None:
            raise PortError(f"{self.name}: capture already running")
        try:
            self._capture = call_in_netns(self.netns, self._open_capture)
        except OSError as exc:
            raise PortError(f"{self.name}: cannot open capture: {exc}") from exc

    def stop_capture(self) -> list[Captured]:
        """Stop the capture; return its frames with kernel RX timestamps, in arrival order."""
        if self._capture is None:
            raise PortError(f"{self.name}: stop_capture without start_capture")
        capture, self._capture = self._capture, None
        try:
            frames, kernel = capture.stop()
        except RingFormatError as exc:
            raise PortError(f"{self.name}: capture ring: {exc}") from exc
        self._kernel = self._kernel + kernel
        self._frames_captured += len(frames)
        return frames

    def take_captured(self) -> list[Captured]:
        """Frames captured since ``start_capture`` or the last take, without stopping (TPACKET_V3
        ring only; with ``rx_threaded`` retired blocks are also copied out in between)."""
        if not isinstance(self._capture, RingCapture):
            raise PortError(f"{self.name}: take_captured needs a running RxMode.RING capture")
        try:
            frames = self._capture.take()
        except RingFormatError as exc:
            raise PortError(f"{self.name}: capture ring: {exc}") from exc
        self._frames_captured += len(frames)
        return frames

    def kernel_stats(self) -> KernelStats:
        """Kernel counters summed over the captures stopped so far."""
        return self._kernel

    def stats(self) -> PortStats:
        """Counters since the port was opened (kernel ones from stopped captures)."""
        return PortStats(
            frames_sent=self._frames_sent,
            bytes_sent=self._bytes_sent,
            frames_captured=self._frames_captured,
            kernel_packets=self._kernel.packets,
            kernel_drops=self._kernel.drops,
            kernel_freeze_q=self._kernel.freeze_q,
        )

    def close(self) -> None:
        """Stop a running capture and close the sockets; idempotent."""
        if self._capture is not None:
            self.stop_capture()
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        if self._sock.fileno() != -1:
            self._sock.close()

    def __enter__(self) -> AfPacketPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

