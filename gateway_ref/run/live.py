"""Live runner: the reference gateway on real interfaces (run it inside the DUT namespace).

One process (``run_live``) loops over the receiving ports: it takes up to ``burst`` ready
frames from each port's receiver (TPACKET_V2 ring by default, ``--rx-mode``), hands each
port's frames to ``Gateway.process`` as one burst and transmits the result per port with one
sendmmsg per 256 frames. Only when no port had a frame does it wait: first, if
``busy_poll_us`` is set and traffic flowed in the last ``HOT_S`` seconds, by re-checking the
rings without a syscall for up to that long (lower latency, a core spent spinning), then in
one poll() over every RX socket. The poll timeout is 1 ms while traffic flowed in the last
``HOT_S`` seconds or lookaside ops are in flight (``Gateway.pending``), else ``IDLE_POLL_MS``;
an empty wake with ops in flight collects their completions (``process(port, [])``), so
packets of a no-offload SA leave promptly. The enabled ports (secgw ``-p``) are the ports
given an interface: a packet routed to any other port is dropped and counted as ``no-tx-port``.

Signals: SIGINT/SIGTERM stop the loop (within one poll timeout); the gateway then flushes the
lookaside engine, transmits what that produced, reads the kernel socket counters, prints a
summary and writes ``counters_out``. SIGUSR1 writes ``counters_out`` without stopping.
The counters file is ``Gateway.counters()`` plus ``kernel`` (per port: PACKET_STATISTICS
packets/drops/freeze_q of the RX socket) and ``live`` (per port tx frames/errors), written
atomically (temp file + rename). ``ready_file`` is written once every socket is bound.
"""
from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from gateway_ref.gateway import Gateway
from gateway_ref.run.afpacket import PortIo
from gateway_ref.run.afpacket_rx import RingGeometry

DEFAULT_MTU = 1500  # secgw's --mtu default
HOT_S = 0.05
HOT_POLL_MS = 1
IDLE_POLL_MS = 50
DEFAULT_BURST = 256
PENDING_WAIT_S = 50e-6  # select() has µs resolution; poll()'s 1 ms was the old floor for lookaside SAs


@dataclasses.dataclass(frozen=True)
class LiveOptions:
    """What ``gateway-ref live`` was asked to do (see ``live_cli`` for the flags)."""

    cfg_path: str
    ports: Mapping[int, str]  # gateway port -> interface name
    unprotected_ports: frozenset[int] = frozenset({0})
    replay_window: int = 0
    esn: bool = False
    engine: str = "library"
    mtu: int = DEFAULT_MTU
    stats_interval_s: float = 0.0  # 0: no stats lines
    counters_out: str | None = None
    ready_file: str | None = None
    workers: int = 1
    ring: RingGeometry = RingGeometry()
    max_runtime_s: float = 0.0  # 0: until signalled
    burst: int = DEFAULT_BURST  # frames taken from one port per loop iteration
    busy_poll_us: int = 0  # spin this long on the rings before sleeping in poll (while hot)

    def __post_init__(self) -> None:
        if not 1 <= self.burst <= 65536:
            raise ValueError(f"--burst {self.burst}: allowed 1..65536")
        if not 0 <= self.busy_poll_us <= 1_000_000:
            raise ValueError(f"--busy-poll {self.busy_poll_us}: allowed 0..1000000 microseconds")
        if not self.ports:
            raise ValueError("at least one --port PORT=IFACE is needed")
        if self.workers not in (1, 2):
            raise ValueError(f"--workers {self.workers}: allowed 1 or 2")
        if self.replay_window < 0:
            raise ValueError(f"-w {self.replay_window}: the replay window must be >= 0")
        if self.stats_interval_s < 0:
            raise ValueError(f"-t {self.stats_interval_s}: must be >= 0")
        if not 1 <= self.mtu <= 65535:
            raise ValueError(f"--mtu {self.mtu}: allowed 1..65535")


class StopFlag:
    """Set by SIGINT/SIGTERM; SIGUSR1 raises ``dump_requested``. Handlers only set flags."""

    def __init__(self) -> None:
        self.stop = False
        self.dump_requested = False

    def install(self) -> None:
        def on_stop(_signum: int, _frame: FrameType | None) -> None:
            self.stop = True

        def on_dump(_signum: int, _frame: FrameType | None) -> None:
            self.dump_requested = True

        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGUSR1, on_dump)


def write_json_atomic(path: str, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temp file and a rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    Path(tmp).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def open_ports(ports: Mapping[int, str], rx_ports: set[int], geometry: RingGeometry) -> list[PortIo]:
    """Open every port (TX on all, RX ring on ``rx_ports``); close what was opened on error."""
    opened: list[PortIo] = []
    try:
        for port, iface in sorted(ports.items()):
            opened.append(PortIo(port, iface, geometry=geometry if port in rx_ports else None))
    except OSError as exc:
        for p in opened:
            p.close()
        raise OSError(exc.errno, f"port {port} ({iface}): {exc.strerror or exc}") from exc
    return opened


def build_gateway(options: LiveOptions, port_macs: dict[int, bytes]) -> Gateway:
    """The Gateway for ``options``, with each port's source MAC taken from its interface."""
    return Gateway.from_cfg_file(options.cfg_path, engine=options.engine,
                                 unprotected_ports=options.unprotected_ports,
                                 replay_window=options.replay_window, esn=options.esn, port_macs=port_macs,
                                 mtu=options.mtu, enabled_ports=frozenset(options.ports))


def snapshot(gw: Gateway, ports: Sequence[PortIo]) -> dict[str, Any]:
    """Gateway counters plus kernel RX socket counters and TX results per port."""
    counters = gw.counters()
    counters["kernel"] = {str(p.port): p.read_kernel_counters().as_dict() for p in ports if p.receives}
    counters["live"] = {str(p.port): {"tx_frames": p.tx_frames, "tx_errors": p.tx_errors,
                                     "rx_truncated": p.rx_truncated, "rx_ring_holes": p.rx_ring_holes} for p in ports}
    return counters


class StatsLine:
    """A one-line summary every ``interval_s`` seconds: totals and rates since the last line."""

    def __init__(self, interval_s: float, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval_s
        self._out = out
        self._clock = clock
        self._next = clock() + interval_s
        self._last = (clock(), 0, 0)

    def due(self) -> bool:
        return self._interval > 0 and self._clock() >= self._next

    def emit(self, rx: int, tx: int, dropped: int, kernel_drops: int, tag: str = "") -> None:
        now = self._clock()
        then, rx0, tx0 = self._last
        span = max(now - then, 1e-9)
        self._out.write(f"gateway-ref{tag}: rx {rx} tx {tx} dropped {dropped} kernel-drops {kernel_drops} "
                        f"rx-pps {(rx - rx0) / span:.0f} tx-pps {(tx - tx0) / span:.0f}\n")
        self._out.flush()
        self._last = (now, rx, tx)
        self._next = now + self._interval


def _send_out(by_port: dict[int, PortIo], out: Mapping[int, list[bytes]]) -> int:
    """Transmit per port; the gateway only emits frames for enabled ports, which all have one."""
    return sum(by_port[port].transmit(frames) for port, frames in out.items())


class Loop:
    """The receive/process/transmit loop over a set of ports for one Gateway (one process or
    one worker); see the module docstring for when it waits and how."""

    def __init__(self, gw: Gateway, ports: Sequence[PortIo], flag: StopFlag, *, burst: int = DEFAULT_BURST,
                 busy_poll_us: int = 0, clock: Callable[[], int] = time.perf_counter_ns) -> None:
        self.gw = gw
        self.ports = list(ports)
        self.flag = flag
        self.by_port = {p.port: p for p in ports}
        self.rx_ports = [p for p in ports if p.receives]
        self.rx_fds = [p.fileno() for p in self.rx_ports]
        self.burst = burst
        self.busy_ns = busy_poll_us * 1000
        self.clock = clock
        self.rx = 0
        self.tx = 0

    def drain(self) -> bool:
        """One pass over the receiving ports: process and transmit what each has ready."""
        got = False
        process, by_port, burst = self.gw.process, self.by_port, self.burst
        for io in self.rx_ports:
            frames = io.receive(burst)
            if frames:
                got = True
                self.rx += len(frames)
                self.tx += _send_out(by_port, process(io.port, frames))
        return got

    def _spin(self) -> bool:
        """Re-check the receivers for up to ``busy_ns``; True once one had frames."""
        until = self.clock() + self.busy_ns
        while self.clock() < until:
            if self.drain():
                return True
        return False

    def step(self, poller: select.poll, hot: bool) -> bool:
        """Work that is ready, else wait (spin, then poll) and do what the wait found; True
        when frames were received."""
        if self.drain() or (hot and self.busy_ns and self._spin()):
            return True
        if self.gw.pending:  # lookaside ops in flight: come back for them within PENDING_WAIT_S
            select.select(self.rx_fds, (), (), PENDING_WAIT_S)
        else:
            poller.poll(HOT_POLL_MS if hot else IDLE_POLL_MS)
        if self.drain():
            return True
        if self.gw.pending and self.rx_ports:  # collect lookaside completions
            self.tx += _send_out(self.by_port, self.gw.process(self.rx_ports[0].port, []))
        return False

    def run(self, on_tick: Callable[[], None], deadline: float) -> None:
        poller = select.poll()
        for io in self.rx_ports:
            poller.register(io.fileno(), select.POLLIN | select.POLLERR)
        hot_until = 0.0
        while not self.flag.stop:
            now = time.monotonic()
            if deadline and now >= deadline:
                break
            if self.step(poller, now < hot_until):
                hot_until = now + HOT_S
            on_tick()

    def finish(self) -> None:
        """Flush the lookaside engine and transmit what it produced."""
        self.tx += _send_out(self.by_port, self.gw.flush())


def summary_line(counters: Mapping[str, Any]) -> str:
    kdrops = sum(k["drops"] for k in counters.get("kernel", {}).values())
    return (f"gateway-ref live: rx {counters['rx']} tx {counters['tx']} dropped {counters['dropped']} "
            f"kernel-drops {kdrops} drops {json.dumps(counters['drops'], sort_keys=True)}")


def serve(options: LiveOptions, rx_ports: set[int], flag: StopFlag, *, tag: str = "",
          ready: Callable[[], None] | None = None, counters_out: str | None = None) -> dict[str, Any]:
    """Open ports, build the gateway, loop until stopped; return the final counters.

    Used by the single process (all ports receive) and by each worker (its own ports receive).
    """
    ports = open_ports(options.ports, rx_ports, options.ring)
    try:
        gw = build_gateway(options, {p.port: p.mac for p in ports})
        with gw:
            loop = Loop(gw, ports, flag, burst=options.burst, busy_poll_us=options.busy_poll_us)
            stats = StatsLine(options.stats_interval_s, sys.stdout)

            def on_tick() -> None:
                if flag.dump_requested and counters_out:
                    flag.dump_requested = False
                    write_json_atomic(counters_out, snapshot(gw, ports))
                if stats.due():
                    kd = sum(p.read_kernel_counters().drops for p in loop.rx_ports)
                    c = gw.counters()
                    stats.emit(c["rx"], c["tx"], c["dropped"], kd, tag)

            if ready is not None:
                ready()
            deadline = time.monotonic() + options.max_runtime_s if options.max_runtime_s else 0.0
            loop.run(on_tick, deadline)
            loop.finish()
            counters = snapshot(gw, ports)
            if counters_out:
                write_json_atomic(counters_out, counters)
            return counters
    finally:
        for p in ports:
            p.close()


def run_live(options: LiveOptions, out: TextIO = sys.stdout) -> dict[str, Any]:
    """``gateway-ref live``: one process, or two workers (``live_workers``) with ``workers=2``."""
    if options.workers == 2:
        from gateway_ref.run.live_workers import run_workers  # noqa: PLC0415 - only with --workers 2

        return run_workers(options, out)
    build_gateway(options, {}).close()  # cfg errors before any interface is touched
    flag = StopFlag()
    flag.install()

    def ready() -> None:
        if options.ready_file:
            write_json_atomic(options.ready_file, {"pid": os.getpid(), "ports": dict(options.ports)})

    counters = serve(options, set(options.ports), flag, ready=ready, counters_out=options.counters_out)
    print(summary_line(counters), file=out, flush=True)
    return counters
