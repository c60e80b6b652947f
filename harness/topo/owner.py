"""Who owns a run, and removal of runs whose owner died (e.g. SIGKILL).

Before creating anything a run writes ``<run_dir>/<runid>.owner`` holding the owner's pid
and its start time in clock ticks (``/proc/<pid>/stat`` field 22), so a recycled pid is not
mistaken for a live owner. A fresh run deletes every ``ipxh-<runid>-*`` namespace whose
owner file is missing or names a dead process, then the file. The owner file is removed
last on normal cleanup, so a namespace without an owner file is always a leftover.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from harness.topo import ipcmd
from harness.topo.names import check_run_id, run_id_of_namespace

DEFAULT_RUN_DIR = Path("/run/ipxh")
_SUFFIX = ".owner"


@dataclasses.dataclass(frozen=True)
class OwnerRecord:
    """Contents of one owner file."""

    run_id: str
    pid: int
    start_ticks: int


def process_start_ticks(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot, or None when no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = stat[stat.rindex(")") + 2 :].split()
    return int(rest[19])


def owner_path(run_dir: Path, run_id: str) -> Path:
    """Path of the owner file of ``run_id``."""
    return run_dir / f"{check_run_id(run_id)}{_SUFFIX}"


def write_owner(run_dir: Path, run_id: str) -> Path:
    """Record this process as the owner of ``run_id``; return the file written."""
    run_dir.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    ticks = process_start_ticks(pid)
    record = OwnerRecord(run_id=run_id, pid=pid, start_ticks=ticks if ticks is not None else -1)
    path = owner_path(run_dir, run_id)
    tmp = path.with_name(f".{path.name}.{pid}")
    tmp.write_text(json.dumps(dataclasses.asdict(record)))
    os.replace(tmp, path)  # atomic: a concurrent run never reads a half-written owner as "dead"
    return path


def read_owner(run_dir: Path, run_id: str) -> OwnerRecord | None:
    """The owner record of ``run_id``, or None when missing or unreadable."""
    try:
        data = json.loads(owner_path(run_dir, run_id).read_text())
        return OwnerRecord(run_id=data["run_id"], pid=int(data["pid"]), start_ticks=int(data["start_ticks"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def owner_alive(record: OwnerRecord | None) -> bool:
    """True when the recorded process still runs (same pid and same start time)."""
    if record is None:
        return False
    return process_start_ticks(record.pid) == record.start_ticks


def stale_run_ids(run_dir: Path, namespaces: list[str]) -> set[str]:
    """Run ids with leftovers (namespaces or owner files) whose owner is gone."""
    candidates = {rid for rid in map(run_id_of_namespace, namespaces) if rid}
    if run_dir.is_dir():
        candidates |= {p.name[: -len(_SUFFIX)] for p in run_dir.glob(f"*{_SUFFIX}")}
    stale = set()
    for rid in candidates:
        try:
            check_run_id(rid)
        except ValueError:
            continue
        if not owner_alive(read_owner(run_dir, rid)):
            stale.add(rid)
    return stale


def clean_stale(run_dir: Path = DEFAULT_RUN_DIR) -> list[str]:
    """Delete leftovers of dead runs; return the namespaces deleted."""
    namespaces = ipcmd.list_namespaces()
    removed = []
    for rid in sorted(stale_run_ids(run_dir, namespaces)):
        for ns in namespaces:
            if run_id_of_namespace(ns) == rid:
                ipcmd.ip("netns", "del", ns, check=False)
                removed.append(ns)
        owner_path(run_dir, rid).unlink(missing_ok=True)
    return removed
