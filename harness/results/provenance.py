"""Who made a run and where: tool version, git commit and dirty flag, machine, cfg hash, run id.

This is an edge module: it runs ``git`` (argv list, short timeout) and reads /proc/cpuinfo.
"""
from __future__ import annotations

import hashlib
import os
import platform
import secrets
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

from harness.results.record import MachineInfo, ToolInfo

TOOL_NAME = "ipsec-harness"


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _tool_version(repo: Path) -> str:
    """The installed distribution's version, else the one in the checkout's pyproject.toml."""
    try:
        return metadata.version(TOOL_NAME)
    except metadata.PackageNotFoundError:
        pass
    import tomllib  # noqa: PLC0415 - only needed when not installed

    pyproject = repo / "pyproject.toml"
    if pyproject.is_file():
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    return "unknown"


def tool_info(repo: Path | None = None) -> ToolInfo:
    """Version, commit and dirty flag of the checkout at ``repo`` (default: this source tree)."""
    repo = repo or Path(__file__).resolve().parents[2]
    commit = (_git(repo, "rev-parse", "HEAD") or "").strip()
    status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    return ToolInfo(TOOL_NAME, _tool_version(repo), commit, bool(status and status.strip()))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> MachineInfo:
    return MachineInfo(
        hostname=platform.node(),
        platform=platform.platform(),
        cpu_model=_cpu_model(),
        cores=os.cpu_count() or 0,
        kernel=platform.release(),
        python=platform.python_version(),
    )


def cfg_sha256(cfg: str | bytes) -> str:
    """sha256 hex digest of the cfg text the DUT ran (str is UTF-8 encoded)."""
    return hashlib.sha256(cfg.encode() if isinstance(cfg, str) else cfg).hexdigest()


def new_run_id(now: datetime, commit: str = "") -> str:
    """Sortable and unique: ``20250102T030405Z-<commit[:8]>-<6 random hex>``."""
    parts = [now.strftime("%Y%m%dT%H%M%SZ")]
    if commit:
        parts.append(commit[:8])
    parts.append(secrets.token_hex(3))
    return "-".join(parts)
