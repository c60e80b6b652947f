"""``--dut external --lab LAB.toml``: a device on real (or namespaced) tester interfaces.

The lab file (``external_lab``) names the tester interface facing each DUT port and,
optionally, a command template that starts the DUT with the generated cfg (DPDK
``dpdk-ipsec-secgw``, VPP, ``gateway-ref live``, anything scriptable). Without a command
the device is configured by hand: ``configure`` only writes the cfg where the lab says.

``configure`` writes the cfg to a private directory, stops a DUT it started before, starts
the new one (argv list, no shell) and waits for readiness (a ready file appearing, and/or a
fixed delay), bounded by ``ready_timeout_s``. If the process exits during start-up its
stderr becomes a ``ValueError`` (a bad cfg, as the ``Dut`` protocol asks). ``close`` runs the
stop template if any, else SIGTERM, waits ``stop_timeout_s``, then SIGKILL.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.dut.base import WIRE_MIN_FRAME_LEN, DutFailed, DutOptions, DutUnavailable, ReceivedFrame
from harness.dut.external_lab import DutCommand, Lab, LabError, load_lab, placeholders, render
from harness.dut.live_tester import LiveTester, TesterPort
from harness.io.afpacket import AfPacketPort
from harness.io.port import SendResult

POLL_S = 0.02
COUNTERS_WAIT_S = 3.0


class DutProcess:
    """One started DUT process (a command template rendered for one cfg)."""

    def __init__(self, command: DutCommand, values: dict[str, str], where: str) -> None:
        self.command = command
        self.values = values
        self.where = where
        self.ready_file = render([command.ready_file], values, where)[0] if command.ready_file else None
        self.counters_file = render([command.counters_file], values, where)[0] if command.counters_file else None
        argv = render(command.start, values, f"{where}.start")
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self._stdout = tempfile.TemporaryFile(mode="w+")
        try:
            self.proc = subprocess.Popen(argv, stdout=self._stdout, stderr=self._stderr, stdin=subprocess.DEVNULL)
        except OSError as exc:
            raise DutUnavailable(f"{where}.start: cannot run {argv[0]!r}: {exc.strerror or exc}") from None

    def output(self) -> tuple[str, str]:
        """(stdout, stderr) of the process so far."""
        texts = []
        for f in (self._stdout, self._stderr):
            f.flush()
            f.seek(0)
            texts.append(f.read())
        return texts[0], texts[1]

    def wait_ready(self) -> None:
        """Bounded wait for the ready file and the delay; ValueError when the DUT exited."""
        deadline = time.monotonic() + self.command.ready_timeout_s
        while self.ready_file and not os.path.exists(self.ready_file):
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.where}: DUT not ready after {self.command.ready_timeout_s} s "
                                   f"(no {self.ready_file}); stderr: {self.output()[1].strip()[-500:]}")
            time.sleep(POLL_S)
        end = time.monotonic() + self.command.ready_delay_s
        while time.monotonic() < end:
            self._check_alive()
            time.sleep(POLL_S)
        self._check_alive()

    def _exit_stderr(self) -> str | None:
        """None while the process runs; once it has exited, its stderr (stripped)."""
        return None if self.proc.poll() is None else self.output()[1].strip()

    def check_running(self) -> None:
        """DutFailed naming the exit status and the end of stderr if the process has exited."""
        err = self._exit_stderr()
        if err is not None:
            raise DutFailed(f"{self.where}: the DUT exited mid-run (status {self.proc.returncode}); "
                            f"stderr: {err[-2000:] or '(none)'}")

    def _check_alive(self) -> None:
        err = self._exit_stderr()
        if err is not None:
            raise ValueError(f"DUT exited during start-up (status {self.proc.returncode}): {err or '(no stderr)'}")

    def counters(self) -> dict[str, Any] | None:
        """Ask for counters (signal, if configured), wait for a fresh file (bounded), read it."""
        if not self.counters_file:
            return None
        before = _mtime(self.counters_file)
        if self.command.counters_signal is not None and self.proc.poll() is None:
            self.proc.send_signal(self.command.counters_signal)
            deadline = time.monotonic() + COUNTERS_WAIT_S
            while _mtime(self.counters_file) == before and time.monotonic() < deadline:
                time.sleep(0.005)
        try:
            return json.loads(Path(self.counters_file).read_text())
        except (OSError, ValueError):
            return None

    def stop(self) -> int | None:
        """Stop the DUT (stop template or SIGTERM, bounded, then SIGKILL); return its exit status."""
        if self.proc.poll() is None:
            if self.command.stop:
                subprocess.run(render(self.command.stop, self.values, f"{self.where}.stop"),
                               capture_output=True, timeout=self.command.stop_timeout_s, check=False)
            else:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.command.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=self.command.stop_timeout_s)
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self._stdout.close()
        self._stderr.close()


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


class ExternalDut:
    """``--dut external``: tester interfaces from a lab, DUT started by its command template."""

    name = "external"
    min_frame_len = WIRE_MIN_FRAME_LEN

    def __init__(self, lab: Lab | str | os.PathLike[str]) -> None:
        try:
            self.lab = lab if isinstance(lab, Lab) else load_lab(lab)
        except LabError as exc:
            raise DutUnavailable(str(exc)) from None
        if os.geteuid() != 0:
            raise DutUnavailable("needs root for AF_PACKET sockets on the tester interfaces")
        self._workdir = tempfile.mkdtemp(prefix="ipxh-dut-")
        self._process: DutProcess | None = None
        self.last_exit: int | None = None
        self.final_counters: dict | None = None  # what the last stopped DUT wrote on its way out
        self.cfg_path = os.path.join(self._workdir, "dut.cfg")
        try:
            self._tester = LiveTester([TesterPort(p.id, p.tester_iface, self.lab.tester_netns) for p in self.lab.ports],
                                      settle_s=self.lab.settle_s, max_wait_s=self.lab.max_collect_s)
        except Exception as exc:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise DutUnavailable(f"{self.lab.source}: cannot open tester interfaces: {exc}") from None

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        self.stop_process()
        Path(self.cfg_path).write_text(cfg_text)
        command = self.lab.command
        if command is None:
            return
        values = placeholders(self.lab, options, cfg=self.cfg_path, workdir=self._workdir,
                              ready_file=os.path.join(self._workdir, "ready"),
                              counters_file=os.path.join(self._workdir, "counters.json"))
        for name in ("ready", "counters.json"):
            Path(self._workdir, name).unlink(missing_ok=True)
        process = DutProcess(command, values, f"{self.lab.source}: [dut]")
        self._process = process
        try:
            process.wait_ready()
        except BaseException:
            self.stop_process()
            raise
        self._tester.collect()  # forget anything the DUT emitted while starting

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        self._tester.send(port, frames)

    def collect(self) -> list[ReceivedFrame]:
        """What the DUT emitted (``LiveTester.collect``); DutFailed when the DUT this adapter
        started has exited meanwhile, so a dead DUT reads as dead, not as 100 % loss."""
        frames = self._tester.collect()
        if self._process is not None:
            self._process.check_running()
        return frames

    def tester_port(self, dut_port: int) -> AfPacketPort:
        """The tester's AF_PACKET port wired to DUT port ``dut_port``."""
        return self._tester.port(dut_port)

    def send_paced(self, port: int, frames: Sequence[bytes], *, rate_pps: float | None,
                   duration_limit_s: float) -> SendResult:
        """One paced sendmmsg loop toward DUT port ``port`` (``LiveTester.send_paced``)."""
        return self._tester.send_paced(port, frames, rate_pps=rate_pps, duration_limit_s=duration_limit_s)

    def tester_capture_drops(self) -> int:
        """Frames the tester's capture dropped since the last call (not DUT loss)."""
        return self._tester.capture_drops()

    def counters(self) -> dict | None:
        return self._process.counters() if self._process is not None else None

    def dut_output(self) -> tuple[str, str]:
        """(stdout, stderr) of the running or last DUT process (empty without one)."""
        return self._process.output() if self._process is not None else ("", "")

    def stop_process(self) -> None:
        """Stop the DUT this adapter started (if any); ``last_exit``/``final_counters`` keep its end."""
        if self._process is not None:
            process, self._process = self._process, None
            self.last_exit = process.stop()
            self.final_counters = process.counters()
            process.close()

    def close(self) -> None:
        """Stop the DUT, close the tester ports, remove the work directory; idempotent."""
        try:
            self.stop_process()
        finally:
            self._tester.close()
            shutil.rmtree(self._workdir, ignore_errors=True)
