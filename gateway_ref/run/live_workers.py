"""``gateway-ref live --workers 2``: one worker process per direction, to use two cores.

How SA state stays correct: ipsec-secgw's direction depends only on the RX port (RX on an
unprotected port is inbound, on any other port outbound), and an outbound SA's runtime state
(sequence counter) is only touched by outbound processing, an inbound SA's (replay window,
ESN epoch) only by inbound processing. So worker 0 receives on the unprotected ports and
worker 1 on the protected ports: every SA's mutable state lives in exactly one process, with
no sharing and no locks. Each worker builds its own Gateway from the same cfg (the other
direction's SAs sit unused there) and transmits on every port (PACKET_IGNORE_OUTGOING keeps
the sibling's RX ring from seeing those frames). The cost: one direction cannot use both
cores; traffic in a single direction scales only by what the sibling takes off it (nothing).

The parent only supervises: it writes the ready file once both workers are bound, forwards
SIGINT/SIGTERM/SIGUSR1, and merges the workers' counter files (numbers summed, other leaves
from worker 0) into ``counters_out``.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from gateway_ref.run.live import LiveOptions, StopFlag, build_gateway, serve, summary_line, write_json_atomic

READY_WAIT_S = 30.0
STOP_WAIT_S = 10.0
DUMP_WAIT_S = 2.0


def merge_counters(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Sum numeric leaves of several counter trees; non-numeric leaves come from the first."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, Mapping):
                merged[key] = merge_counters([merged.get(key, {}), value])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                merged[key] = merged.get(key, 0) + value
            else:
                merged.setdefault(key, value)
    return merged


def worker_rx_ports(options: LiveOptions) -> tuple[set[int], set[int]]:
    """(ports worker 0 receives on: unprotected; ports worker 1 receives on: protected)."""
    ports = set(options.ports)
    return ports & options.unprotected_ports, ports - options.unprotected_ports


def _child(options: LiveOptions, rx_ports: set[int], index: int, ready_w: int, counters_path: str) -> None:
    """Body of one worker: never returns (os._exit)."""
    code = 0
    try:
        flag = StopFlag()
        flag.install()
        tag = f"[w{index} {'inbound' if index == 0 else 'outbound'}]"
        serve(options, rx_ports, flag, tag=tag, ready=lambda: os.write(ready_w, b"r"),
              counters_out=counters_path)
    except BaseException as exc:  # noqa: BLE001 - a worker reports and exits, never unwinds into the parent's code
        print(f"gateway-ref: error: worker {index}: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        sys.stdout.flush()
        os._exit(code)


def _exited(pid: int) -> bool:
    """True once ``pid`` has exited (reaping it); also for a child reaped earlier."""
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def _wait_ready(ready_r: int, pids: list[int]) -> None:
    deadline = time.monotonic() + READY_WAIT_S
    got = 0
    os.set_blocking(ready_r, False)
    while got < len(pids):
        try:
            got += len(os.read(ready_r, 16))
        except BlockingIOError:
            pass
        for pid in pids:
            if _exited(pid):
                raise RuntimeError(f"worker {pid} exited during start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready after {READY_WAIT_S} s")
        time.sleep(0.01)


def _stop_children(pids: list[int]) -> None:
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_S
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if not _exited(pid)]
        time.sleep(0.01)
    for pid in alive:
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _read_parts(paths: list[str]) -> list[dict[str, Any]]:
    import json  # noqa: PLC0415

    parts = []
    for path in paths:
        try:
            parts.append(json.loads(Path(path).read_text()))
        except (OSError, ValueError):
            continue  # a worker killed before writing: its counters are lost, the rest still count
    return parts


def _dump(pids: list[int], paths: list[str], counters_out: str) -> None:
    """SIGUSR1 to both workers, wait (bounded) for fresh files, merge them."""
    before = [_mtime(p) for p in paths]
    for pid in pids:
        _signal(pid, signal.SIGUSR1)
    deadline = time.monotonic() + DUMP_WAIT_S
    while time.monotonic() < deadline and any(_mtime(p) == b for p, b in zip(paths, before)):
        time.sleep(0.005)
    write_json_atomic(counters_out, merge_counters(_read_parts(paths)))


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return 0


def run_workers(options: LiveOptions, out: TextIO) -> dict[str, Any]:
    """Validate the cfg, fork the two workers, supervise them, return the merged counters."""
    build_gateway(options, {}).close()  # cfg errors surface here, once, before any fork
    flag = StopFlag()
    flag.install()
    tmp = tempfile.mkdtemp(prefix="gateway-ref-live-")
    paths = [os.path.join(tmp, f"worker{i}.json") for i in (0, 1)]
    ready_r, ready_w = os.pipe()
    pids: list[int] = []
    try:
        sys.stdout.flush()
        for index, rx_ports in enumerate(worker_rx_ports(options)):
            pid = os.fork()
            if pid == 0:
                os.close(ready_r)
                _child(options, rx_ports, index, ready_w, paths[index])
            pids.append(pid)
        _wait_ready(ready_r, pids)
        if options.ready_file:
            write_json_atomic(options.ready_file, {"pid": os.getpid(), "workers": pids, "ports": dict(options.ports)})
        deadline = time.monotonic() + options.max_runtime_s if options.max_runtime_s else 0.0
        while not flag.stop and not (deadline and time.monotonic() >= deadline):
            if flag.dump_requested and options.counters_out:
                flag.dump_requested = False
                _dump(pids, paths, options.counters_out)
            if any(_exited(pid) for pid in pids):
                break  # a worker died: stop the other one too
            time.sleep(0.02)
    finally:
        _stop_children(pids)
        os.close(ready_r)
        os.close(ready_w)
    counters = merge_counters(_read_parts(paths))
    counters["workers"] = len(pids)
    for path in paths:
        Path(path).unlink(missing_ok=True)
    os.rmdir(tmp)
    if options.counters_out:
        write_json_atomic(options.counters_out, counters)
    if counters.get("rx") is not None:
        print(summary_line(counters), file=out, flush=True)
    return counters
