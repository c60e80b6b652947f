"""Running ``ip`` and ``sysctl`` as argv lists (never shell strings), with errors that name the command."""
from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from harness.topo.errors import TopologyError

COMMAND_TIMEOUT_S = 15.0


def run_argv(argv: Sequence[str], *, check: bool = True, timeout_s: float = COMMAND_TIMEOUT_S) -> str:
    """Run ``argv``; return stdout. With ``check``, a non-zero exit raises TopologyError."""
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as exc:
        raise TopologyError(f"{argv[0]!r} not found: install it (iproute2/procps)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TopologyError(f"`{' '.join(argv)}` timed out after {timeout_s} s") from exc
    if check and proc.returncode != 0:
        raise TopologyError(
            f"`{' '.join(argv)}` failed (exit {proc.returncode}): {proc.stderr.strip()}"
        )
    return proc.stdout


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    """Run ``ip [-n NETNS] ARGS...``."""
    argv = ["ip"] + (["-n", netns] if netns else []) + list(args)
    return run_argv(argv, check=check)


def list_namespaces() -> list[str]:
    """Names of all named network namespaces (``ip netns list``, first column)."""
    out = ip("netns", "list")
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def set_sysctls(netns: str, settings: Mapping[str, str]) -> None:
    """Write sysctls inside ``netns`` in one ``ip netns exec NS sysctl -q -w`` call."""
    argv = ["ip", "netns", "exec", netns, "sysctl", "-q", "-w"]
    argv += [f"{key}={value}" for key, value in settings.items()]
    run_argv(argv)
