"""Defer stack, signal guard and owner records, without root."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from harness.topo import owner
from harness.topo.defer import Defer, cleanup_on_signals


def test_defer_runs_newest_first_and_keeps_going_after_a_failure() -> None:
    done: list[str] = []
    d = Defer()
    d.defer("a", done.append, "a")
    d.defer("boom", lambda: 1 / 0)
    d.defer("c", done.append, "c")
    errors = d.run()
    assert done == ["c", "a"]
    assert len(errors) == 1 and "boom" in errors[0]
    assert len(d) == 0 and d.run() == []


def test_sigint_runs_cleanup_then_raises_keyboard_interrupt() -> None:
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with cleanup_on_signals(lambda: done.append("clean")):
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0)  # give the interpreter a bytecode boundary
    assert done == ["clean"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_runs_cleanup_then_dies_by_sigterm(tmp_path) -> None:
    marker = tmp_path / "cleaned"
    code = (
        "import os, signal, time, pathlib\n"
        "from harness.topo.defer import cleanup_on_signals\n"
        f"m = pathlib.Path({str(marker)!r})\n"
        "with cleanup_on_signals(lambda: m.write_text('yes')):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(5)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=20, env=_env())
    assert proc.returncode == -signal.SIGTERM
    assert marker.read_text() == "yes"


def test_owner_file_marks_this_process_alive_and_a_dead_pid_stale(tmp_path) -> None:
    owner.write_owner(tmp_path, "0badc0de")
    record = owner.read_owner(tmp_path, "0badc0de")
    assert record is not None and record.pid == os.getpid()
    assert owner.owner_alive(record)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = owner.OwnerRecord("feedf00d", child.pid, 1)
    assert not owner.owner_alive(dead)
    assert not owner.owner_alive(None)
    # a recycled pid: same pid, other start time
    assert not owner.owner_alive(owner.OwnerRecord("0badc0de", os.getpid(), record.start_ticks + 1))


def test_stale_run_ids_covers_orphan_namespaces_and_dead_owner_files(tmp_path) -> None:
    owner.write_owner(tmp_path, "0badc0de")  # alive: us
    (tmp_path / "feedf00d.owner").write_text('{"run_id": "feedf00d", "pid": 999999999, "start_ticks": 1}')
    namespaces = ["ipxh-0badc0de-dut", "ipxh-12345678-tester", "unrelated"]
    assert owner.stale_run_ids(tmp_path, namespaces) == {"feedf00d", "12345678"}


def _env() -> dict[str, str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return {**os.environ, "PYTHONPATH": root}
