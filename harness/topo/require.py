"""Preconditions for live tests: checks that return a reason, and pytest skips built on them.

The check functions never import pytest, so the harness stays importable without it;
``require_*`` import pytest lazily and skip the calling test with the reason.
"""
from __future__ import annotations

import os
import shutil
import subprocess


def root_missing() -> str | None:
    """Why root-only operations cannot run here, or None when running as root."""
    return None if os.geteuid() == 0 else "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)"


def netns_missing() -> str | None:
    """Why network namespaces cannot be created here, or None when they can."""
    reason = root_missing()
    if reason:
        return reason
    if shutil.which("ip") is None:
        return "needs iproute2's `ip`"
    if not os.path.exists("/proc/self/ns/net"):
        return "kernel without network namespaces"
    probe = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, timeout=10, check=False
    )
    if probe.returncode != 0:
        return f"`ip netns list` fails: {probe.stderr.strip()}"
    return None


def tool_missing(name: str) -> str | None:
    """Why the program ``name`` cannot be run, or None when it is on PATH."""
    return None if shutil.which(name) else f"needs `{name}` on PATH"


def _skip_if(reason: str | None) -> None:
    if reason:
        import pytest  # lazily: the harness must import without pytest

        pytest.skip(reason)


def require_root() -> None:
    """Skip the calling pytest test unless running as root."""
    _skip_if(root_missing())


def require_netns() -> None:
    """Skip the calling pytest test unless network namespaces can be created."""
    _skip_if(netns_missing())


def require_tool(name: str) -> None:
    """Skip the calling pytest test unless ``name`` is on PATH."""
    _skip_if(tool_missing(name))
