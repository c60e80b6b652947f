"""``--dut reference-live``: ``gateway-ref live`` in the DUT namespace of a fresh rig.

Built on the external adapter, so both share one code path: the rig (``harness.topo``) is
described as a lab (tester interface per DUT port, MACs, DUT interfaces) whose command
template is ``ip netns exec <dut-ns> python -m gateway_ref.cli live -f {cfg} --port 0={port0}
...``, with a ready file and SIGUSR1 for counters. The gateway runs as a subprocess, never
imported: this module does not import ``gateway_ref``.

``close`` stops the gateway (SIGTERM, bounded, then SIGKILL), closes the tester sockets and
removes the rig; it runs from ``close()``, on SIGINT/SIGTERM (the rig's signal guard) and at
interpreter exit, and stale rigs of killed runs are removed by the next run.
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.dut.base import WIRE_MIN_FRAME_LEN, DutOptions, DutUnavailable, ReceivedFrame
from harness.dut.external import ExternalDut
from harness.dut.external_lab import DutCommand, Lab, LabPort
from harness.io.afpacket import AfPacketPort
from harness.io.port import SendResult
from harness.topo import Rig, RigSpec, rig
from harness.topo.require import netns_missing

ROOT = Path(__file__).resolve().parents[2]


def gateway_command(r: Rig, python: str = sys.executable, workers: int = 1,
                    extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The start template for ``gateway-ref live`` in the rig's DUT namespace."""
    ports = [arg for link in r.links for arg in ("--port", f"{link.dut_port}={{port{link.dut_port}}}")]
    return ("ip", "netns", "exec", r.dut_ns, "env", f"PYTHONPATH={ROOT}", python, "-m", "gateway_ref.cli", "live",
            "-f", "{cfg}", *ports, "-u", "{unprotected_mask}", "-w", "{replay_window}", "{esn}",
            "--engine", "{engine}", "--workers", str(workers), "--ready-file", "{ready_file}",
            "--counters-out", "{counters_file}", *extra)


def lab_for_rig(r: Rig, command: DutCommand | None) -> Lab:
    """A lab description of ``r``: tester interfaces in its tester namespace."""
    ports = tuple(LabPort(link.dut_port, link.tester_iface, link.dut_mac, link.tester_mac, link.dut_iface)
                  for link in r.links)
    return Lab(source=f"rig {r.run_id}", ports=ports, tester_netns=r.tester_ns, command=command)


_PORT_TOKENS = re.compile(r"(?:^rt\s.*\sport|\sport_id|^neigh\s+port)\s+(\d+)", re.MULTILINE)


def ports_named(cfg_text: str, options: DutOptions) -> set[int]:
    """DUT ports a cfg uses (``rt ... port N``, ``port_id N``, ``neigh port N``), the unprotected
    ports and the ports whose MACs the options set (``port_mac.N``)."""
    ports = {int(m) for m in _PORT_TOKENS.findall(cfg_text)} | set(options.unprotected_ports)
    return ports | {int(k.split(".", 1)[1]) for k in options.extra if k.startswith("port_mac.")}


class ReferenceLiveDut:
    """The reference gateway live on veth pairs in namespaces."""

    name = "reference-live"
    min_frame_len = WIRE_MIN_FRAME_LEN

    def __init__(self, spec: RigSpec = RigSpec(), *, workers: int = 1, python: str = sys.executable,
                 gateway_args: Sequence[str] = ()) -> None:
        """``gateway_args`` are added to every ``gateway-ref live`` command line, e.g.
        ``("--rx-mode", "v3")`` or ``("--busy-poll", "200")``."""
        reason = netns_missing()
        if reason:
            raise DutUnavailable(f"needs root and network namespaces: {reason}")
        self._workers, self._python, self._gateway_args = workers, python, tuple(gateway_args)
        self._stack = contextlib.ExitStack()
        self._build(spec)
        atexit.register(self.close)

    def _build(self, spec: RigSpec) -> None:
        """Create the rig described by ``spec`` and the adapter that drives it."""
        self.spec = spec
        try:
            self.rig = self._stack.enter_context(rig(spec))
            command = DutCommand(start=gateway_command(self.rig, self._python, self._workers, self._gateway_args),
                                 ready_file="{ready_file}", ready_timeout_s=30.0,
                                 counters_file="{counters_file}", counters_signal=signal.SIGUSR1)
            self._external = ExternalDut(lab_for_rig(self.rig, command))
            self._stack.callback(self._external.close)
        except BaseException:
            self._stack.close()
            raise

    @property
    def lab(self) -> Lab:
        return self._external.lab

    @property
    def final_counters(self) -> dict | None:
        return self._external.final_counters

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        """Start the gateway with ``cfg_text``; first grow the rig when the cfg or the options
        name a DUT port it lacks (the rig has ``2 * pairs_per_side`` ports, 0 upwards)."""
        pairs = (max(ports_named(cfg_text, options), default=0) + 2) // 2
        if pairs > self.spec.pairs_per_side:
            self._stack.close()
            self._stack = contextlib.ExitStack()
            self._build(dataclasses.replace(self.spec, pairs_per_side=pairs))
        self._external.configure(cfg_text, options)

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        self._external.send(port, frames)

    def collect(self) -> list[ReceivedFrame]:
        return self._external.collect()

    def tester_port(self, dut_port: int) -> AfPacketPort:
        """The tester's AF_PACKET port wired to DUT port ``dut_port``."""
        return self._external.tester_port(dut_port)

    def send_paced(self, port: int, frames: Sequence[bytes], *, rate_pps: float | None,
                   duration_limit_s: float) -> SendResult:
        return self._external.send_paced(port, frames, rate_pps=rate_pps, duration_limit_s=duration_limit_s)

    def tester_capture_drops(self) -> int:
        return self._external.tester_capture_drops()

    def counters(self) -> dict | None:
        return self._external.counters()

    def dut_output(self) -> tuple[str, str]:
        return self._external.dut_output()

    def stop_gateway(self) -> int | None:
        """Stop the gateway (keeping the rig); return its exit status. ``final_counters`` then
        holds the counters it wrote at exit."""
        self._external.stop_process()
        return self._external.last_exit

    def close(self) -> None:
        """Stop the gateway, close tester sockets, remove the rig; idempotent."""
        self._stack.close()
        atexit.unregister(self.close)
