"""Running commands and Python callables inside a named network namespace.

``run_in_netns`` runs a command via ``ip netns exec NS argv...`` (argv list, no shell).
``call_in_netns`` runs a callable in a short-lived thread that first ``setns(2)``s into the
namespace: a network namespace switch is per thread, and a socket keeps the namespace it was
created in, so sockets opened this way can then be used from any thread of the process.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from harness.topo.errors import TopologyError

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"


def _setns(fd: int) -> None:
    """setns(fd, CLONE_NEWNET) for the calling thread (os.setns needs Python 3.12)."""
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def call_in_netns(netns: str | None, fn: Callable[..., T], *args: object) -> T:
    """Return ``fn(*args)`` run inside ``netns`` (None: the current namespace); re-raise its error."""
    if netns is None:
        return fn(*args)
    path = os.path.join(NETNS_RUN_DIR, netns)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise TopologyError(f"network namespace {netns!r} does not exist ({path})") from exc
    outcome: dict[str, object] = {}

    def body() -> None:
        try:
            _setns(fd)
            outcome["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = exc

    try:
        thread = threading.Thread(target=body, name=f"netns-{netns}", daemon=True)
        thread.start()
        thread.join()
    finally:
        os.close(fd)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def netns_argv(netns: str | None, argv: Sequence[str]) -> list[str]:
    """``argv`` prefixed to run inside ``netns`` (unchanged for None)."""
    return (["ip", "netns", "exec", netns] if netns else []) + list(argv)


def run_in_netns(
    netns: str | None,
    argv: Sequence[str],
    *,
    timeout_s: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside ``netns``, bounded by ``timeout_s``; text output captured.

    With ``check``, a non-zero exit raises TopologyError naming the command and its stderr.
    """
    full = netns_argv(netns, argv)
    try:
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TopologyError(f"`{' '.join(full)}` timed out after {timeout_s} s") from exc
    if check and proc.returncode != 0:
        raise TopologyError(f"`{' '.join(full)}` failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc
